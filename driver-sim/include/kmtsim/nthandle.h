/*
 * NT handles are file descriptors (close them with close()). These helpers
 * pass one to another process over a connected Unix socket (SCM_RIGHTS);
 * the receiver gets its own descriptor for the same handle.
 */
#ifndef KMTSIM_NTHANDLE_H
#define KMTSIM_NTHANDLE_H

#include "kmtsim/wintypes.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Sends `handle` and `tag` (any value the receiver should see with it).
 * Returns 0, or -errno. */
int KmtsimSendNtHandle(int socket_fd, HANDLE handle, UINT64 tag);

/* Receives a handle sent by KmtsimSendNtHandle (blocking). Returns 0, or
 * -errno (-EPROTO when the message carried no handle). */
int KmtsimReceiveNtHandle(int socket_fd, HANDLE* handle, UINT64* tag);

#ifdef __cplusplus
}
#endif

#endif /* KMTSIM_NTHANDLE_H */
