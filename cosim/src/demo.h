// `kmtsim demo`: the main job, the gpu-to-cpu scenario of fenceprof on each backend.
#pragma once

namespace kmtsim::cosim {

// argv excludes the subcommand. Throws std::invalid_argument on bad usage.
int demo_main(int argc, char** argv);

}  // namespace kmtsim::cosim
