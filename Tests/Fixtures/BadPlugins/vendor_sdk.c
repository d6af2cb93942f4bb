/* A stand-in for a vendor's SDK library, for the missing-dependency test: the fixture
 * plugin is linked against it, then the library is deleted before loading. */
int vendor_sdk_version(void);
int vendor_sdk_version(void) { return 1; }
