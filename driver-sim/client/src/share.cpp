// D3DKMT entry points that make and find NT handles: ShareObjects and the
// open-by-name calls. An NT handle is a file descriptor of this process.
#include "client.h"

using namespace kmtsim::client;
using kmtsim::UniqueFd;
namespace wire = kmtsim::wire;
using wire::Op;

NTSTATUS APIENTRY D3DKMTShareObjects(UINT cObjects, CONST D3DKMT_HANDLE* hObjects, POBJECT_ATTRIBUTES pObjectAttributes,
                                     DWORD dwDesiredAccess, HANDLE* phSharedNtHandle) {
  if (hObjects == nullptr || phSharedNtHandle == nullptr) return STATUS_INVALID_PARAMETER;
  if (cObjects == 0 || cObjects > D3DKMT_MAX_OBJECTS_PER_HANDLE) return STATUS_INVALID_PARAMETER;
  wire::ShareObjectsReq req;
  req.handles.assign(hObjects, hObjects + cObjects);
  req.desired_access = dwDesiredAccess;
  // Checked here, because only this process can read the buffers; the daemon
  // reports the verdict after it has checked the handles (spec §2.2).
  Attributes a = read_attributes(pObjectAttributes);
  req.attributes_status = a.status;
  req.has_name = a.has_name;
  req.attributes = a.attributes;
  req.name = std::move(a.name);
  std::vector<UniqueFd> fds;
  const NTSTATUS status = conn().call(Op::ShareObjects, req, static_cast<wire::EmptyRep*>(nullptr), {}, &fds);
  if (!NT_SUCCESS(status)) return status;
  if (fds.size() != 1) return STATUS_UNSUCCESSFUL;
  *phSharedNtHandle = handle_of(std::move(fds[0]));
  return status;
}

static NTSTATUS open_by_name(DWORD access, const OBJECT_ATTRIBUTES* attributes, bool sync, HANDLE* out) {
  if (attributes == nullptr) return STATUS_INVALID_PARAMETER;
  Attributes a = read_attributes(attributes);
  wire::OpenByNameReq req;
  req.desired_access = access;
  req.attributes_status = a.status;
  if (a.status == STATUS_SUCCESS && !a.has_name) req.attributes_status = STATUS_OBJECT_NAME_INVALID;
  req.attributes = a.attributes;
  req.name = std::move(a.name);
  req.sync = sync;
  std::vector<UniqueFd> fds;
  const NTSTATUS status = conn().call(Op::OpenNtHandleFromName, req, static_cast<wire::EmptyRep*>(nullptr), {}, &fds);
  if (!NT_SUCCESS(status)) return status;
  if (fds.size() != 1) return STATUS_UNSUCCESSFUL;
  *out = handle_of(std::move(fds[0]));
  return status;
}

NTSTATUS APIENTRY D3DKMTOpenNtHandleFromName(D3DKMT_OPENNTHANDLEFROMNAME* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return open_by_name(pData->dwDesiredAccess, pData->pObjAttrib, false, &pData->hNtHandle);
}

NTSTATUS APIENTRY D3DKMTOpenSyncObjectNtHandleFromName(D3DKMT_OPENSYNCOBJECTNTHANDLEFROMNAME* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return open_by_name(pData->dwDesiredAccess, pData->pObjAttrib, true, &pData->hNtHandle);
}
