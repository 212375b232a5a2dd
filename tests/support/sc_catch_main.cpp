// Catch2 runner for tests that use SystemC: libsystemc owns main() and calls
// sc_main(). SystemC elaborates once per process, so every TEST_CASE runs in
// its own process (catch_discover_tests registers one CTest test per case).
// A failing case on the RTL backend is run again with a waveform
// (waves_on_failure.h; DeviceBench says when the RTL is in the run).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <systemc>

#include "waves_on_failure.h"

using kmtsim::test::WavesOnFailure;
CATCH_REGISTER_LISTENER(WavesOnFailure)

int sc_main(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }
