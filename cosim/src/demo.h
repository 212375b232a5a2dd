// `kmtsim demo` and the peer processes it starts.
#pragma once

namespace kmtsim::cosim {

// argv excludes the subcommand. Throws std::invalid_argument on bad usage.
int demo_main(int argc, char** argv);
int demo_peer_main(int argc, char** argv);

}  // namespace kmtsim::cosim
