# ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT
#
# Runs one ABI comparison (cmake -P). Variables:
#   MODE=layout  PROBE=<abi_probe executable>
#   MODE=types   CC=<gcc> SOURCE=<abi_probe.c> INCLUDES=<dir|dir> DEFINES=<NAME|NAME>
#   OUT=<file to write>   EXPECTED=<file to compare with; leave empty to only write OUT>
# layout: the probe's output. types: gcc -aux-info declarations of every prototype in the
# headers and of the probe's per-field/per-typedef dummies, sorted, with file:line dropped.

cmake_minimum_required(VERSION 3.13)

foreach(var MODE OUT)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "abi_check.cmake: ${var} is not set")
    endif()
endforeach()

if(MODE STREQUAL "layout")
    execute_process(COMMAND "${PROBE}" OUTPUT_FILE "${OUT}" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "abi_probe failed: ${rc}")
    endif()
elseif(MODE STREQUAL "types")
    set(args -std=c11 -fsyntax-only -DABI_TYPE_DECLS)
    string(REPLACE "|" ";" includes "${INCLUDES}")
    string(REPLACE "|" ";" defines "${DEFINES}")
    foreach(dir IN LISTS includes)
        list(APPEND args "-I${dir}")
    endforeach()
    foreach(def IN LISTS defines)
        list(APPEND args "-D${def}")
    endforeach()
    set(raw "${OUT}.raw")
    file(REMOVE "${raw}")
    execute_process(COMMAND "${CC}" ${args} -aux-info "${raw}" "${SOURCE}"
                    RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0 OR NOT EXISTS "${raw}")
        message(FATAL_ERROR "compiling ${SOURCE} with -aux-info failed:\n${err}")
    endif()

    # Declarations end in ';', which CMake lists use as separator: swap it out while filtering.
    file(READ "${raw}" text)
    string(REPLACE ";" "<semicolon>" text "${text}")
    string(REPLACE "\n" ";" lines "${text}")
    set(headers ota.h ota_private.h ota_os_interface.h ota_mqtt_interface.h ota_http_interface.h
                ota_platform_interface.h ota_config_defaults.h ota_appversion32.h
                ota_base64_private.h ota_cbor_private.h ota_mqtt_private.h ota_http_private.h
                ota_interface_private.h)
    set(kept "")
    foreach(line IN LISTS lines)
        if(line MATCHES "^/\\* ([^ ]+):[0-9]+:[A-Z]+ \\*/ (.*)$")
            set(decl "${CMAKE_MATCH_2}")
            get_filename_component(file "${CMAKE_MATCH_1}" NAME)
            list(FIND headers "${file}" idx)
            if(idx GREATER -1 OR decl MATCHES " \\(?\\**abi_(field|fptype|extern|scalar)__")
                list(APPEND kept "${decl}")
            endif()
        endif()
    endforeach()
    list(SORT kept)
    string(REPLACE ";" "\n" text "${kept}")
    string(REPLACE "<semicolon>" ";" text "${text}")
    file(WRITE "${OUT}" "${text}\n")
    file(REMOVE "${raw}")
else()
    message(FATAL_ERROR "abi_check.cmake: unknown MODE '${MODE}'")
endif()

if(NOT EXPECTED)
    message(STATUS "wrote ${OUT}")
    return()
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${EXPECTED}" "${OUT}" RESULT_VARIABLE same)
if(same EQUAL 0)
    message(STATUS "${OUT} matches ${EXPECTED}")
    return()
endif()

# Show the difference as plain text (FATAL_ERROR would re-wrap it).
message("ABI differs from v2.0.0 (- expected, + include/):")
find_program(DIFF_TOOL diff)
if(DIFF_TOOL)
    execute_process(COMMAND "${DIFF_TOOL}" -u "${EXPECTED}" "${OUT}")
else()
    # No diff(1): list the lines found on one side only.
    file(STRINGS "${EXPECTED}" want)
    file(STRINGS "${OUT}" got)
    foreach(line IN LISTS want)
        list(FIND got "${line}" idx)
        if(idx EQUAL -1)
            message("-${line}")
        endif()
    endforeach()
    foreach(line IN LISTS got)
        list(FIND want "${line}" idx)
        if(idx EQUAL -1)
            message("+${line}")
        endif()
    endforeach()
endif()
message(FATAL_ERROR "${OUT} does not match ${EXPECTED}")
