# Regenerates the header of the Rust exports with cbindgen and compiles check.c against it
# together with include/. Inputs: SRC (repo root), OUT (scratch folder), CC, CFLAGS (list),
# INCLUDES (list).
find_program(CBINDGEN cbindgen HINTS "$ENV{HOME}/.cargo/bin")
if(NOT CBINDGEN)
    message(FATAL_ERROR "cbindgen not found: install it with `cargo install cbindgen --locked` (scripts/test.sh does)")
endif()
file(MAKE_DIRECTORY "${OUT}")
execute_process(COMMAND "${CBINDGEN}" --quiet --config "${SRC}/cbindgen.toml" --crate ota
                        --output "${OUT}/ota_rs_exports.h" "${SRC}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cbindgen failed on ${SRC}")
endif()
# Every export must appear in the generated header; an empty header would prove nothing.
file(STRINGS "${OUT}/ota_rs_exports.h" protos REGEX "^[A-Za-z].*\\(")
list(LENGTH protos n)
message(STATUS "${n} Rust exports checked")
if(n LESS 1)
    message(FATAL_ERROR "cbindgen found no exports in ${SRC}")
endif()
set(args)
foreach(dir ${INCLUDES} "${OUT}")
    list(APPEND args "-I${dir}")
endforeach()
execute_process(COMMAND "${CC}" ${CFLAGS} ${args} -o "${OUT}/check" "${SRC}/c_tests/prototypes/check.c"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "a Rust export disagrees with its v2.0.0 prototype (see the compiler error above)")
endif()
