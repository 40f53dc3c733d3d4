/** Kept equal to package.json's version (a test checks): a result names the eosim that made it. */
export const EOSIM_VERSION = "0.1.0";
