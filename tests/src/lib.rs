//! Integration and UI tests for cancelkit (no library code).
