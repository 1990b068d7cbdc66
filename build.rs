//! Build script: embeds the Windows resources (icon, version information,
//! application manifest; see assets/windows/tcp-playground.rc) into
//! tcp-playground.exe when the target is Windows. For any other target it
//! does nothing but tell Cargo when to run it again.
//!
//! Cross-compiling from Debian needs the MinGW resource compiler
//! `x86_64-w64-mingw32-windres`, and the C preprocessor it runs: both come
//! with `apt-get install gcc-mingw-w64-x86-64`, which the
//! x86_64-pc-windows-gnu target needs anyway as its linker. A build for
//! Windows without them fails here, rather than make an exe without an icon.

use std::env;

const RC: &str = "assets/windows/tcp-playground.rc";
/// The files the .rc names, found through this folder on the include path.
const RC_DIR: &str = "assets/windows";
const RC_INPUTS: [&str; 3] = [
    RC,
    "assets/windows/tcp-playground.ico",
    "assets/windows/tcp-playground.manifest",
];

fn main() {
    // Printed for every target: with at least one rerun-if line, Cargo runs
    // this script again only when these change (and when build.rs itself
    // does), not after every edit of the package's sources. A change of
    // version in Cargo.toml also reruns it.
    for input in RC_INPUTS {
        println!("cargo::rerun-if-changed={input}");
    }
    // TARGET is the target's triple: the Cargo variable that embed-resource
    // reads to choose a resource compiler, which these override.
    let target = env::var("TARGET").unwrap_or_default();
    for var in [
        "RC".to_owned(),
        format!("RC_{target}"),
        format!("RC_{}", target.replace('-', "_")),
    ] {
        println!("cargo::rerun-if-env-changed={var}");
    }

    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }

    let version = |name: &str| env::var(name).unwrap_or_else(|_| panic!("Cargo sets {name}"));
    let mut macros = vec![
        format!("VERSION_MAJOR={}", version("CARGO_PKG_VERSION_MAJOR")),
        format!("VERSION_MINOR={}", version("CARGO_PKG_VERSION_MINOR")),
        format!("VERSION_PATCH={}", version("CARGO_PKG_VERSION_PATCH")),
        // Without quotes: the .rc makes it a string literal (windres runs
        // its preprocessor through a shell, which would strip the quotes).
        format!("VERSION_STR={}", version("CARGO_PKG_VERSION")),
    ];
    if !version("CARGO_PKG_VERSION_PRE").is_empty() {
        macros.push("VERSION_PRERELEASE".to_owned());
    }

    let result = embed_resource::compile_for(
        RC,
        ["tcp-playground"],
        embed_resource::ParamsMacrosAndIncludeDirs(&macros, [RC_DIR]),
    );
    match result {
        embed_resource::CompilationResult::Ok | embed_resource::CompilationResult::NotWindows => {}
        embed_resource::CompilationResult::NotAttempted(tool) => fail(&format!(
            "no Windows resource compiler: {tool}\n\
             The Windows exe's icon, version information and manifest are \
             compiled from {RC} by MinGW's x86_64-w64-mingw32-windres.\n\
             On Debian or Ubuntu: apt-get install gcc-mingw-w64-x86-64\n\
             (package binutils-mingw-w64-x86-64 has windres, which runs \
             x86_64-w64-mingw32-gcc as its C preprocessor).\n\
             Another resource compiler can be named in the variable RC_{} or RC.",
            target.replace('-', "_")
        )),
        embed_resource::CompilationResult::Failed(why) => fail(&format!(
            "could not compile the Windows resources in {RC}:\n{why}\n\
             If windres said \"preprocessing failed\", its preprocessor \
             x86_64-w64-mingw32-gcc is missing: on Debian or Ubuntu, \
             apt-get install gcc-mingw-w64-x86-64"
        )),
    }
}

/// Ends the build with the message alone (a panic would add a backtrace).
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
