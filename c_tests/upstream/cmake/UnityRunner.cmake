# Unity test-runner generator written in plain CMake (no Ruby).
#
# Produces the same kind of runner as Unity's auto/generate_test_runner.rb
# for a test file that uses neither mocks nor parameterised tests:
#
#   * every `void test...(void)` / `void test...()` function that starts a
#     statement (not commented out, not inside a string) becomes one test,
#     in source order (prefixes test, spec, should as in Unity's default);
#   * setUp / tearDown are called around each test; empty stubs are emitted
#     when the file defines none;
#   * suiteSetUp() is called before UnityBegin() and suiteTearDown() gets the
#     result of UnityEnd() when the file defines them;
#   * resetTest() (tearDown + setUp) and verifyTest() are provided unless the
#     file defines them, as the Ruby generator always provides them;
#   * each test runs under TEST_PROTECT() so a failing assertion in setUp or
#     the test still runs tearDown, exactly as Unity's run_test.erb does;
#   * with UNITY_USE_COMMAND_LINE_ARGS defined, main() accepts Unity's
#     options (-l to list, -n NAME / -f FILTER to select tests).
#
# Two ways to use it:
#   include(UnityRunner.cmake)
#   unity_generate_runner(<test.c> <runner.c> <count-var>)
# or as a script:
#   cmake -DTEST_SOURCE=<test.c> -DRUNNER_SOURCE=<runner.c> -P UnityRunner.cmake

cmake_minimum_required(VERSION 3.13)

# Comments are dropped (their newlines kept, so line numbers stay right) and
# the insides of string and character literals are blanked, so that nothing
# in a comment or a literal can look like a test function.
function(_unity_runner_scrub text out_var)
    set(out "")
    set(rest "${text}")
    string(LENGTH "${rest}" n)
    while(n GREATER 0)
        string(REGEX MATCH "^[^\"'/]+" chunk "${rest}")
        string(LENGTH "${chunk}" len)
        if(len GREATER 0)
            string(APPEND out "${chunk}")
        else()
            string(SUBSTRING "${rest}" 0 2 two)
            string(SUBSTRING "${rest}" 0 1 one)
            if(two STREQUAL "/*")
                string(SUBSTRING "${rest}" 2 -1 after)
                string(FIND "${after}" "*/" end)
                if(end LESS 0)
                    set(len ${n})
                else()
                    math(EXPR len "${end} + 4")
                endif()
                string(SUBSTRING "${rest}" 0 ${len} comment)
                string(REGEX REPLACE "[^\n]" "" newlines "${comment}")
                string(APPEND out " ${newlines}")
            elseif(two STREQUAL "//")
                string(FIND "${rest}" "\n" end)
                if(end LESS 0)
                    set(len ${n})
                else()
                    set(len ${end})
                endif()
                string(APPEND out " ")
            elseif(one STREQUAL "\"" OR one STREQUAL "'")
                # Walk to the closing quote, stepping over escapes.
                set(len 1)
                while(len LESS n)
                    string(SUBSTRING "${rest}" ${len} -1 after)
                    if(one STREQUAL "\"")
                        string(REGEX MATCH "^[^\"\\\\\n]+" body "${after}")
                    else()
                        string(REGEX MATCH "^[^'\\\\\n]+" body "${after}")
                    endif()
                    string(LENGTH "${body}" blen)
                    math(EXPR len "${len} + ${blen}")
                    if(NOT len LESS n)
                        break()
                    endif()
                    string(SUBSTRING "${rest}" ${len} 1 c)
                    if(c STREQUAL "\\")
                        math(EXPR len "${len} + 2")
                    elseif(c STREQUAL one)
                        math(EXPR len "${len} + 1")
                        break()
                    else()
                        # Unterminated literal: stop at the end of the line.
                        break()
                    endif()
                endwhile()
                if(len GREATER n)
                    set(len ${n})
                endif()
                string(APPEND out "${one}${one}")
            else()
                # A lone '/' (division).
                set(len 1)
                string(APPEND out "/")
            endif()
        endif()
        string(SUBSTRING "${rest}" ${len} -1 rest)
        math(EXPR n "${n} - ${len}")
    endwhile()
    set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

function(_unity_runner_has var regex)
    if(scrubbed MATCHES "${regex}")
        set(${var} TRUE PARENT_SCOPE)
    else()
        set(${var} FALSE PARENT_SCOPE)
    endif()
endfunction()

function(_unity_runner_count_newlines text out_var)
    string(REGEX REPLACE "[^\n]" "" nl "${text}")
    string(LENGTH "${nl}" count)
    set(${out_var} ${count} PARENT_SCOPE)
endfunction()

# Escape a string for a C string literal.
function(_unity_runner_c_string text out_var)
    string(REPLACE "\\" "\\\\" text "${text}")
    string(REPLACE "\"" "\\\"" text "${text}")
    set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# unity_generate_runner(<test source> <runner output> [<count var>])
# Writes the runner only when its content changes.
function(unity_generate_runner test_source runner_source)
    if(NOT EXISTS "${test_source}")
        message(FATAL_ERROR "Unity runner generator: no such test file: ${test_source}")
    endif()
    file(READ "${test_source}" source)
    string(REPLACE "\r\n" "\n" source "${source}")
    _unity_runner_scrub("${source}" scrubbed)

    set(ws "[ \t\r\n]")
    # A test definition or declaration starts a statement: it follows ; { }
    # or a line break (a preprocessor line ends at its line break).
    set(test_re "[;{}\n]${ws}*void${ws}+((test|spec|should)[A-Za-z0-9_]*)${ws}*[(]([^)]*)[)]")

    set(tests "")
    set(lines "")
    set(scan "\n${scrubbed}")
    set(base_newlines 0)
    while(TRUE)
        string(REGEX MATCH "${test_re}" m "${scan}")
        if(m STREQUAL "")
            break()
        endif()
        string(FIND "${scan}" "${m}" pos)
        string(REGEX REPLACE "${test_re}" "\\1" name "${m}")
        string(REGEX REPLACE "${test_re}" "\\3" params "${m}")
        string(STRIP "${params}" params)

        # Line number of the function name.
        string(FIND "${m}" "${name}" npos)
        string(SUBSTRING "${m}" 0 ${npos} lead)
        string(SUBSTRING "${scan}" 0 ${pos} before)
        _unity_runner_count_newlines("${before}${lead}" nl)
        math(EXPR line "${base_newlines} + ${nl}")

        if(NOT (params STREQUAL "" OR params STREQUAL "void"))
            message(WARNING "${test_source}:${line}: ${name}(${params}) takes arguments; "
                            "parameterised tests are not supported, skipped.")
        else()
            list(FIND tests "${name}" seen)
            if(seen LESS 0)
                list(APPEND tests "${name}")
                list(APPEND lines "${line}")
            endif()
        endif()

        # Continue after the closing parenthesis.
        string(LENGTH "${m}" mlen)
        math(EXPR consumed "${pos} + ${mlen}")
        string(SUBSTRING "${scan}" 0 ${consumed} done)
        _unity_runner_count_newlines("${done}" nl)
        math(EXPR base_newlines "${base_newlines} + ${nl}")
        string(SUBSTRING "${scan}" ${consumed} -1 scan)
    endwhile()

    if(scrubbed MATCHES "(TEST_CASE|TEST_RANGE)${ws}*[(]")
        message(WARNING "${test_source}: TEST_CASE/TEST_RANGE parameterised tests are not supported.")
    endif()

    _unity_runner_has(has_setup "void${ws}+setUp${ws}*[(]")
    _unity_runner_has(has_teardown "void${ws}+tearDown${ws}*[(]")
    _unity_runner_has(has_suite_setup "void${ws}+suiteSetUp${ws}*[(]")
    _unity_runner_has(has_suite_teardown "int${ws}+suiteTearDown${ws}*[(]")
    _unity_runner_has(has_reset "void${ws}+resetTest${ws}*[(]")
    _unity_runner_has(has_verify "void${ws}+verifyTest${ws}*[(]")

    get_filename_component(test_name "${test_source}" NAME_WE)
    _unity_runner_c_string("${test_source}" c_file)

    set(o "/* Unity test runner for ${test_name}, generated by c_tests/upstream/cmake/UnityRunner.cmake.\n")
    string(APPEND o " * Do not edit: it is regenerated from ${test_source}. */\n\n")
    string(APPEND o "#include \"unity.h\"\n\n")
    string(APPEND o "/* Defined by the test file. */\n")
    string(APPEND o "extern void setUp(void);\nextern void tearDown(void);\n")
    foreach(t IN LISTS tests)
        string(APPEND o "extern void ${t}(void);\n")
    endforeach()
    if(NOT has_setup)
        string(APPEND o "\n/* The test file has no setUp. */\nvoid setUp(void) {}\n")
    endif()
    if(NOT has_teardown)
        string(APPEND o "\n/* The test file has no tearDown. */\nvoid tearDown(void) {}\n")
    endif()
    if(NOT has_reset)
        string(APPEND o "\n/* Lets a test start over: tear down, then set up again. */\n")
        string(APPEND o "void resetTest(void);\nvoid resetTest(void)\n{\n    tearDown();\n    setUp();\n}\n")
    endif()
    if(NOT has_verify)
        string(APPEND o "\n/* No mocks to verify. */\nvoid verifyTest(void);\nvoid verifyTest(void)\n{\n}\n")
    endif()

    string(APPEND o [=[

/* Run one test: setUp and the test under one protection frame, tearDown
 * under another, so a failed assertion still tears down. */
static void run_test( UnityTestFunction func, const char * name, int line_num )
{
    Unity.CurrentTestName = name;
    Unity.CurrentTestLineNumber = ( UNITY_LINE_TYPE ) line_num;
#ifdef UNITY_USE_COMMAND_LINE_ARGS
    if( !UnityTestMatches() )
    {
        return;
    }
#endif
    Unity.NumberOfTests++;
    UNITY_CLR_DETAILS();
    UNITY_EXEC_TIME_START();
    if( TEST_PROTECT() )
    {
        setUp();
        func();
    }
    if( TEST_PROTECT() )
    {
        tearDown();
    }
    UNITY_EXEC_TIME_STOP();
    UnityConcludeTest();
}

#ifdef UNITY_USE_COMMAND_LINE_ARGS
int main( int argc, char ** argv )
{
    int parse_status = UnityParseOptions( argc, argv );

    if( parse_status != 0 )
    {
        if( parse_status < 0 )
        {
]=])
    string(APPEND o "            UnityPrint( \"${test_name}.\" );\n            UNITY_PRINT_EOL();\n")
    foreach(t IN LISTS tests)
        string(APPEND o "            UnityPrint( \"  ${t}\" );\n            UNITY_PRINT_EOL();\n")
    endforeach()
    string(APPEND o [=[
            return 0;
        }
        return parse_status;
    }
#else
int main( void )
{
#endif
]=])
    if(has_suite_setup)
        string(APPEND o "    suiteSetUp();\n")
    endif()
    string(APPEND o "    UnityBegin( \"${c_file}\" );\n")
    set(i 0)
    foreach(t IN LISTS tests)
        list(GET lines ${i} l)
        string(APPEND o "    run_test( ${t}, \"${t}\", ${l} );\n")
        math(EXPR i "${i} + 1")
    endforeach()
    if(has_suite_teardown)
        string(APPEND o "    return suiteTearDown( UnityEnd() );\n}\n")
    else()
        string(APPEND o "    return UnityEnd();\n}\n")
    endif()

    set(old "")
    if(EXISTS "${runner_source}")
        file(READ "${runner_source}" old)
    endif()
    if(NOT old STREQUAL o)
        file(WRITE "${runner_source}" "${o}")
    endif()

    list(LENGTH tests count)
    if(ARGC GREATER 2)
        set(${ARGV2} ${count} PARENT_SCOPE)
    endif()
endfunction()

# Script mode.
if(CMAKE_SCRIPT_MODE_FILE AND CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
    if(NOT DEFINED TEST_SOURCE OR NOT DEFINED RUNNER_SOURCE)
        message(FATAL_ERROR "usage: cmake -DTEST_SOURCE=<test.c> -DRUNNER_SOURCE=<runner.c> -P ${CMAKE_CURRENT_LIST_FILE}")
    endif()
    unity_generate_runner("${TEST_SOURCE}" "${RUNNER_SOURCE}" count)
    message(STATUS "${RUNNER_SOURCE}: ${count} tests")
endif()
