//! Empty: this crate only makes cargo fetch the FreeRTOS-Kernel sources.
