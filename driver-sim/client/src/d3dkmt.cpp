// D3DKMT entry points for adapters, devices, contexts, submission and
// escapes. Each checks what only the caller's address space can check
// (pointers, array sizes, descriptors), sends one request to kmtsimd and
// copies the answer out.
#include "client.h"
#include "kmtsim/wire/messages.h"

using namespace kmtsim::client;
namespace wire = kmtsim::wire;
using wire::Op;

NTSTATUS APIENTRY D3DKMTEnumAdapters2(CONST D3DKMT_ENUMADAPTERS2* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  auto* out = const_cast<D3DKMT_ENUMADAPTERS2*>(pData);  // Windows declares it const, and writes it
  wire::EnumAdapters2Req req{pData->NumAdapters, static_cast<uint8_t>(pData->pAdapters == nullptr)};
  wire::EnumAdapters2Rep rep;
  const NTSTATUS status = conn().call(Op::EnumAdapters2, req, &rep);
  if (!NT_SUCCESS(status)) return status;
  if (pData->pAdapters != nullptr) {
    if (rep.adapters.size() > pData->NumAdapters) return STATUS_BUFFER_TOO_SMALL;
    for (size_t k = 0; k < rep.adapters.size(); ++k) {
      D3DKMT_ADAPTERINFO& a = out->pAdapters[k];
      a.hAdapter = rep.adapters[k].handle;
      a.AdapterLuid.LowPart = rep.adapters[k].luid_low;
      a.AdapterLuid.HighPart = rep.adapters[k].luid_high;
      a.NumOfSources = rep.adapters[k].num_sources;
      a.bPrecisePresentRegionsPreferred = static_cast<BOOL>(rep.adapters[k].precise_present_regions);
    }
  }
  out->NumAdapters = rep.count;
  return status;
}

NTSTATUS APIENTRY D3DKMTOpenAdapterFromLuid(CONST D3DKMT_OPENADAPTERFROMLUID* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::HandleRep rep;
  const NTSTATUS status = conn().call(
      Op::OpenAdapterFromLuid, wire::OpenAdapterFromLuidReq{pData->AdapterLuid.LowPart, pData->AdapterLuid.HighPart},
      &rep);
  if (NT_SUCCESS(status)) const_cast<D3DKMT_OPENADAPTERFROMLUID*>(pData)->hAdapter = rep.handle;
  return status;
}

NTSTATUS APIENTRY D3DKMTCloseAdapter(CONST D3DKMT_CLOSEADAPTER* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return conn().call(Op::CloseAdapter, wire::HandleReq{pData->hAdapter}, static_cast<wire::EmptyRep*>(nullptr));
}

NTSTATUS APIENTRY D3DKMTQueryAdapterInfo(CONST D3DKMT_QUERYADAPTERINFO* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return STATUS_NOT_SUPPORTED;  // no adapter information types are modelled
}

NTSTATUS APIENTRY D3DKMTCreateDevice(D3DKMT_CREATEDEVICE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  wire::HandleRep rep;
  const NTSTATUS status = conn().call(Op::CreateDevice, wire::CreateDeviceReq{pData->hAdapter, bits_of(pData->Flags)}, &rep);
  if (!NT_SUCCESS(status)) return status;
  pData->hDevice = rep.handle;
  // WDDM 2 devices have no DMA buffers of their own.
  pData->pCommandBuffer = nullptr;
  pData->CommandBufferSize = 0;
  pData->pAllocationList = nullptr;
  pData->AllocationListSize = 0;
  pData->pPatchLocationList = nullptr;
  pData->PatchLocationListSize = 0;
  return status;
}

NTSTATUS APIENTRY D3DKMTDestroyDevice(CONST D3DKMT_DESTROYDEVICE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  const NTSTATUS status =
      conn().call(Op::DestroyDevice, wire::HandleReq{pData->hDevice}, static_cast<wire::EmptyRep*>(nullptr));
  if (NT_SUCCESS(status)) conn().forget_device(pData->hDevice);
  return status;
}

static NTSTATUS create_context(D3DKMT_HANDLE device, UINT node, UINT affinity, uint32_t flags, const void* data,
                               UINT size, D3DKMT_CLIENTHINT hint, D3DKMT_HANDLE* context) {
  if (size > kMaxPrivateData) return STATUS_INVALID_PARAMETER;
  wire::CreateContextVirtualReq req;
  req.device = device;
  req.node_ordinal = node;
  req.engine_affinity = affinity;
  req.flags = flags;
  req.client_hint = static_cast<uint32_t>(hint);
  if (!copy_array(static_cast<const uint8_t*>(data), size, req.private_data)) return STATUS_INVALID_PARAMETER;
  wire::HandleRep rep;
  const NTSTATUS status = conn().call(Op::CreateContextVirtual, req, &rep);
  if (NT_SUCCESS(status)) *context = rep.handle;
  return status;
}

NTSTATUS APIENTRY D3DKMTCreateContextVirtual(D3DKMT_CREATECONTEXTVIRTUAL* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return create_context(pData->hDevice, pData->NodeOrdinal, pData->EngineAffinity, bits_of(pData->Flags),
                        pData->pPrivateDriverData, pData->PrivateDriverDataSize, pData->ClientHint, &pData->hContext);
}

NTSTATUS APIENTRY D3DKMTCreateContext(D3DKMT_CREATECONTEXT* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  const NTSTATUS status =
      create_context(pData->hDevice, pData->NodeOrdinal, pData->EngineAffinity, bits_of(pData->Flags),
                     pData->pPrivateDriverData, pData->PrivateDriverDataSize, pData->ClientHint, &pData->hContext);
  if (!NT_SUCCESS(status)) return status;
  // A WDDM 2 context has no DMA buffer, allocation or patch lists.
  pData->pCommandBuffer = nullptr;
  pData->CommandBufferSize = 0;
  pData->pAllocationList = nullptr;
  pData->AllocationListSize = 0;
  pData->pPatchLocationList = nullptr;
  pData->PatchLocationListSize = 0;
  pData->CommandBuffer = 0;
  return status;
}

NTSTATUS APIENTRY D3DKMTDestroyContext(CONST D3DKMT_DESTROYCONTEXT* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  return conn().call(Op::DestroyContext, wire::HandleReq{pData->hContext}, static_cast<wire::EmptyRep*>(nullptr));
}

NTSTATUS APIENTRY D3DKMTSubmitCommand(CONST D3DKMT_SUBMITCOMMAND* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->BroadcastContextCount == 0 || pData->BroadcastContextCount > D3DDDI_MAX_BROADCAST_CONTEXT ||
      pData->PrivateDriverDataSize > kMaxPrivateData || pData->NumPrimaries > D3DDDI_MAX_WRITTEN_PRIMARIES ||
      pData->NumHistoryBuffers > D3DKMT_SUBMITCOMMAND_MAX_HISTORY_BUFFERS ||
      (pData->NumHistoryBuffers != 0 && pData->HistoryBufferArray == nullptr))
    return STATUS_INVALID_PARAMETER;
  wire::SubmitCommandReq req;
  req.command_buffer = pData->Commands;
  req.command_length = pData->CommandLength;
  req.flags = bits_of(pData->Flags);
  req.contexts.assign(pData->BroadcastContext, pData->BroadcastContext + pData->BroadcastContextCount);
  if (!copy_array(static_cast<const uint8_t*>(pData->pPrivateDriverData), pData->PrivateDriverDataSize, req.private_data))
    return STATUS_INVALID_PARAMETER;
  return conn().call(Op::SubmitCommand, req, static_cast<wire::EmptyRep*>(nullptr));
}

NTSTATUS APIENTRY D3DKMTEscape(CONST D3DKMT_ESCAPE* pData) {
  if (pData == nullptr) return STATUS_INVALID_PARAMETER;
  if (pData->PrivateDriverDataSize > kMaxEscapeData) return STATUS_INVALID_PARAMETER;
  wire::EscapeReq req;
  req.adapter = pData->hAdapter;
  req.device = pData->hDevice;
  req.context = pData->hContext;
  req.type = static_cast<uint32_t>(pData->Type);
  req.flags = pData->Flags.Value;
  const auto* data = static_cast<const uint8_t*>(pData->pPrivateDriverData);
  if (!copy_array(data, pData->PrivateDriverDataSize, req.data)) return STATUS_INVALID_PARAMETER;
  wire::EscapeRep rep;
  const NTSTATUS status = conn().call(Op::Escape, req, &rep);
  if (!NT_SUCCESS(status)) return status;
  if (rep.data.size() > pData->PrivateDriverDataSize) return STATUS_BUFFER_TOO_SMALL;
  if (!rep.data.empty()) std::memcpy(pData->pPrivateDriverData, rep.data.data(), rep.data.size());
  return status;
}
