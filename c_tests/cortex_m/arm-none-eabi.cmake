# A firmware team's usual toolchain file: arm-none-eabi-gcc for a Cortex-M (FIRMWARE_CPU,
# default cortex-m4; FIRMWARE_FLOAT_ABI, default soft).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
if(NOT FIRMWARE_CPU)
    set(FIRMWARE_CPU cortex-m4)
endif()
if(NOT FIRMWARE_FLOAT_ABI)
    set(FIRMWARE_FLOAT_ABI soft)
endif()
set(CMAKE_C_FLAGS_INIT "-mcpu=${FIRMWARE_CPU} -mthumb -mfloat-abi=${FIRMWARE_FLOAT_ABI}")
