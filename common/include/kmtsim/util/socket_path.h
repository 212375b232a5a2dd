// Where clients find the daemon: $KMTSIM_SOCKET, else a per-user default.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace kmtsim {

inline std::string default_socket_path() {
  if (const char* p = std::getenv("KMTSIM_SOCKET"); p != nullptr && *p != '\0') return p;
  if (const char* dir = std::getenv("XDG_RUNTIME_DIR"); dir != nullptr && *dir != '\0')
    return std::string(dir) + "/kmtsim.sock";
  return "/tmp/kmtsim-" + std::to_string(::getuid()) + ".sock";
}

}  // namespace kmtsim
