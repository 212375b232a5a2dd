// Catch2 runner for tests that use SystemC: libsystemc owns main() and calls
// sc_main(). SystemC elaborates once per process, so every TEST_CASE runs in
// its own process (catch_discover_tests registers one CTest test per case).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <systemc>

int sc_main(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }
