//! Sets `cfg(postgres_tests)` when `REMISE_TEST_POSTGRES_URL` is set while the tests are built:
//! [`postgres_test!`](crate::postgres_test) then declares PostgreSQL tests as ordinary tests, and
//! otherwise as ignored, so that cargo's count says they did not run. Whether a test is ignored is
//! decided at compile time, hence a build script rather than a look at the environment at run time.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=REMISE_TEST_POSTGRES_URL");
    if std::env::var_os("REMISE_TEST_POSTGRES_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
