/** The version `uxsv --version` prints. */
export const UXSV_VERSION = '0.1.0';
