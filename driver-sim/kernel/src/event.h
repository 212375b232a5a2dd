// Waking a client's eventfd without trusting the client: the descriptor is
// shared with a process that may have filled its counter, so a plain write
// could block the kernel side. signal_event() never blocks for long.
#pragma once

namespace kmtsim::kernel {

// True when `fd` is an eventfd.
bool is_eventfd(int fd);

// Adds `value` to the eventfd's counter. Returns false (and does nothing)
// when that would block.
bool signal_event(int fd, unsigned long long value = 1);

}  // namespace kmtsim::kernel
