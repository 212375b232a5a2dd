// Runner of the block tests over Verilated models: a failing case is run
// again with a waveform (tests/support/waves_on_failure.h).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "waves_on_failure.h"

using kmtsim::test::WavesOnFailure;
CATCH_REGISTER_LISTENER(WavesOnFailure)

namespace {
const bool kWavesPossible = (kmtsim::test::waves_possible() = true);
}  // namespace
