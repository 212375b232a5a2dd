// Sharing: NT handles (pipes whose last close the kernel notices), names,
// D3DKMTShareObjects in its three shapes, and opening sync objects from NT
// handles and NT handles from names.
#include "internal.h"

#include <fcntl.h>

#include <algorithm>
#include <sys/stat.h>
#include <unistd.h>

namespace kmtsim::kernel {

int32_t check_object_path(const std::u32string& name) {
  if (name.empty() || name[0] != U'\\') return STATUS_OBJECT_PATH_SYNTAX_BAD;  // relative, and no root directory
  const auto slash = name.rfind(U'\\');
  const std::u32string dir = name.substr(0, slash);
  if (slash + 1 == name.size()) return STATUS_OBJECT_NAME_INVALID;  // no leaf
  const std::u32string base = U"\\basenamedobjects";
  if (dir == base) return STATUS_SUCCESS;
  const std::u32string sessions = U"\\sessions\\";
  if (dir.size() > sessions.size() + base.size() && dir.compare(0, sessions.size(), sessions) == 0 &&
      dir.compare(dir.size() - base.size(), base.size(), base) == 0) {
    const std::u32string id = dir.substr(sessions.size(), dir.size() - sessions.size() - base.size());
    if (!id.empty() && std::all_of(id.begin(), id.end(), [](char32_t c) { return c >= U'0' && c <= U'9'; }))
      return STATUS_SUCCESS;
  }
  return STATUS_OBJECT_PATH_NOT_FOUND;
}

int32_t Kernel::new_nt_handle(const std::shared_ptr<NtObject>& object, uint32_t access, UniqueFd& read_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return STATUS_NO_MEMORY;
  UniqueFd r(fds[0]), w(fds[1]);
  struct stat st {};
  if (::fstat(r.get(), &st) != 0) return STATUS_NO_MEMORY;
  auto handle = std::make_shared<NtHandle>();
  handle->object = object;
  handle->access = access;
  handle->write_end = std::move(w);
  handle->dev = st.st_dev;
  handle->ino = st.st_ino;
  const auto key = std::make_pair(st.st_dev, st.st_ino);
  nt_by_inode_[key] = handle;
  reactor_.watch_pipe_readers(handle->write_end.get(), [this, key] { close_nt_handle(key); });
  read_end = std::move(r);
  return STATUS_SUCCESS;
}

void Kernel::close_nt_handle(const std::pair<dev_t, ino_t>& key) {
  auto it = nt_by_inode_.find(key);
  if (it == nt_by_inode_.end()) return;
  std::shared_ptr<NtHandle> handle = std::move(it->second);
  nt_by_inode_.erase(it);
  reactor_.unwatch(handle->write_end.get());
  // The name lives as long as some NT handle to the object is open.
  if (handle->object.use_count() == 1 && !handle->object->name.empty()) names_.erase(handle->object->name);
}

std::shared_ptr<NtHandle> Kernel::nt_handle_from_fd(int fd) {
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return nullptr;
  auto it = nt_by_inode_.find({st.st_dev, st.st_ino});
  return it == nt_by_inode_.end() ? nullptr : it->second;
}

int32_t Kernel::op_share_objects(Ctx& c) {
  wire::ShareObjectsReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  // The allowed shapes (spec §2.1): a resource; a resource, a keyed mutex and
  // a sync object, in that order; a sync object. Each must be shareable by NT
  // handle: created with NtSecuritySharing, or opened from an NT handle.
  auto object = std::make_shared<NtObject>();
  if (req.handles.size() == 1) {
    if (auto* sync = lookup<SyncRef>(c.proc, req.handles[0]); sync != nullptr && sync->object->nt_shareable) {
      object->type = NtObject::Type::Sync;
      object->sync = sync->object;
    } else if (auto* res = lookup<ResourceRef>(c.proc, req.handles[0]); res != nullptr && res->resource->nt_shareable) {
      object->type = NtObject::Type::Resource;
      object->resource = res->resource;
    } else {
      return STATUS_INVALID_PARAMETER;
    }
  } else if (req.handles.size() == 3) {
    auto* res = lookup<ResourceRef>(c.proc, req.handles[0]);
    auto* mutex = lookup<MutexRef>(c.proc, req.handles[1]);
    auto* sync = lookup<SyncRef>(c.proc, req.handles[2]);
    if (res == nullptr || mutex == nullptr || sync == nullptr || !res->resource->nt_shareable ||
        !mutex->mutex->nt_shareable || !sync->object->nt_shareable)
      return STATUS_INVALID_PARAMETER;
    object->type = NtObject::Type::Resource;
    object->resource = res->resource;
    object->mutex = mutex->mutex;
    object->sync = sync->object;
  } else {
    return STATUS_INVALID_PARAMETER;
  }
  // Then the object attributes (checked by the library, which can read them).
  if (req.attributes_status != STATUS_SUCCESS) return NT_SUCCESS(req.attributes_status) ? STATUS_INVALID_PARAMETER
                                                                                       : req.attributes_status;
  if (req.has_name && (req.name.empty() || req.name.size() > limits::kMaxNameUnits)) return STATUS_OBJECT_NAME_INVALID;
  const std::u32string name = req.has_name ? fold_name(req.name) : std::u32string();
  if (!name.empty()) {
    if (const int32_t s = check_object_path(name); s != STATUS_SUCCESS) return s;
  }

  const bool is_sync = object->type == NtObject::Type::Sync;
  const uint32_t access =
      (is_sync ? map_sync_generic(req.desired_access) : map_resource_generic(req.desired_access)) | STANDARD_RIGHTS_ALL;
  int32_t status = STATUS_SUCCESS;
  if (!name.empty()) {
    if (auto it = names_.find(name); it != names_.end()) {
      if (auto existing = it->second.lock()) {
        if ((req.attributes & OBJ_OPENIF) == 0) return STATUS_OBJECT_NAME_COLLISION;
        if (existing->type != object->type) return STATUS_OBJECT_TYPE_MISMATCH;
        object = existing;
        status = STATUS_OBJECT_NAME_EXISTS;
      }
    }
    object->name = name;
  }
  UniqueFd read_end;
  if (const int32_t s = new_nt_handle(object, access, read_end); s != STATUS_SUCCESS) return s;
  if (!name.empty()) names_[name] = object;
  if (object->resource) object->resource->sealed = true;  // no allocations join a shared resource
  c.fds_out.push_back(std::move(read_end));
  c.out(wire::EmptyRep{});
  return status;
}

int32_t Kernel::op_open_sync_from_nt(Ctx& c) { return open_sync_from_nt(c, false); }
int32_t Kernel::op_open_sync_from_nt2(Ctx& c) { return open_sync_from_nt(c, true); }

int32_t Kernel::open_sync_from_nt(Ctx& c, bool v2) {
  wire::OpenSyncObjectFromNtHandle2Req req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (v2 && req.device == 0) return STATUS_INVALID_PARAMETER;  // checked before the NT handle (spec §5.4)
  if (c.fds_in.size() != 1) return STATUS_INVALID_HANDLE;
  auto handle = nt_handle_from_fd(c.fds_in[0].get());
  if (!handle) return STATUS_INVALID_HANDLE;
  if (handle->object->type != NtObject::Type::Sync) return STATUS_OBJECT_TYPE_MISMATCH;
  std::shared_ptr<DeviceObj> device;
  if (v2) {
    auto* d = lookup_device(c.proc, req.device);
    if (d == nullptr) return STATUS_INVALID_PARAMETER;
    device = *d;
    if ((req.flags & ~flags::kSyncKnown) != 0) return STATUS_INVALID_PARAMETER;
    if ((req.flags & flags::kSyncNoSignal) != 0 && (req.flags & flags::kSyncNoWait) != 0) return STATUS_INVALID_PARAMETER;
  }
  if (options_.access_checks && (handle->access & STANDARD_RIGHTS_READ) == 0) return STATUS_ACCESS_DENIED;
  const auto& object = handle->object->sync;
  wire::SyncObjectRep rep;
  if (v2 && object->page) {
    UniqueFd page(::fcntl(object->page->fd(), F_DUPFD_CLOEXEC, 0));
    if (!page) return STATUS_NO_MEMORY;
    c.fds_out.push_back(std::move(page));
    rep.gpu_va = object->gpu_va;
  }
  rep.handle = add_sync_ref(c.proc, SyncRef{object, device, handle->access, v2 ? req.flags : 0u});
  c.out(rep);
  return STATUS_SUCCESS;
}

int32_t Kernel::op_open_nt_handle_from_name(Ctx& c) {
  wire::OpenByNameReq req;
  if (!c.read(req)) return STATUS_INVALID_PARAMETER;
  if (req.attributes_status != STATUS_SUCCESS)
    return NT_SUCCESS(req.attributes_status) ? STATUS_INVALID_PARAMETER : req.attributes_status;
  if (req.name.empty() || req.name.size() > limits::kMaxNameUnits) return STATUS_OBJECT_NAME_INVALID;
  const std::u32string name = fold_name(req.name);
  if (const int32_t s = check_object_path(name); s != STATUS_SUCCESS) return s == STATUS_OBJECT_PATH_NOT_FOUND ? STATUS_OBJECT_NAME_NOT_FOUND : s;
  auto it = names_.find(name);
  std::shared_ptr<NtObject> object = it == names_.end() ? nullptr : it->second.lock();
  if (!object) return STATUS_OBJECT_NAME_NOT_FOUND;
  const NtObject::Type want = req.sync ? NtObject::Type::Sync : NtObject::Type::Resource;
  if (object->type != want) return STATUS_OBJECT_TYPE_MISMATCH;
  // The handle gets what was asked for; nothing asked, nothing granted, and
  // without STANDARD_RIGHTS_READ (directly or through GENERIC_*) the object
  // would be inaccessible: denied (spec §10.1).
  const uint32_t access =
      want == NtObject::Type::Sync ? map_sync_generic(req.desired_access) : map_resource_generic(req.desired_access);
  if (access == 0 || (options_.access_checks && (access & STANDARD_RIGHTS_READ) == 0)) return STATUS_ACCESS_DENIED;
  UniqueFd read_end;
  if (const int32_t s = new_nt_handle(object, access, read_end); s != STATUS_SUCCESS) return s;
  c.fds_out.push_back(std::move(read_end));
  c.out(wire::EmptyRep{});
  return STATUS_SUCCESS;
}

}  // namespace kmtsim::kernel
