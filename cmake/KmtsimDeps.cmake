# Third-party dependencies, all from Debian 12 packages (scripts/setup.sh installs them).

find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)          # Asio is header-only
find_package(verilator REQUIRED HINTS $ENV{VERILATOR_ROOT} /usr/share/verilator)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMC REQUIRED IMPORTED_TARGET systemc)   # Debian ships only systemc.pc

# Debian's libsystemc is a C++17 build: code that includes SystemC must say so
# or it links against a C++20 API guard symbol the library does not have.
add_library(kmtsim_systemc INTERFACE)
target_link_libraries(kmtsim_systemc INTERFACE PkgConfig::SYSTEMC Threads::Threads)
target_compile_definitions(kmtsim_systemc INTERFACE SC_CPLUSPLUS=201703L)

find_program(YOSYS_EXECUTABLE yosys)
find_program(NEXTPNR_ICE40_EXECUTABLE nextpnr-ice40)
find_program(ICEPACK_EXECUTABLE icepack)
find_program(ICETIME_EXECUTABLE icetime)
find_program(PYTHON3_EXECUTABLE python3)
