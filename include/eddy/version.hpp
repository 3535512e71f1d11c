/// @file
/// eddy's version, as macros so a preprocessor `#if` can test it.
///
/// Kept in step with `project(eddy VERSION ...)` in CMakeLists.txt and the
/// newest release in CHANGELOG.md; the test `package.version_in_step` fails
/// when the three disagree.
#pragma once

/// The major version: 0 until the API is declared stable.
#define EDDY_VERSION_MAJOR 0
/// The minor version: before 1.0, a new minor version may change the API.
#define EDDY_VERSION_MINOR 2
/// The patch version: fixes only, no API change.
#define EDDY_VERSION_PATCH 0
/// The version as one number, major * 10000 + minor * 100 + patch (0.2.0 is
/// 200), for comparisons such as `#if EDDY_VERSION >= 200`.
#define EDDY_VERSION (EDDY_VERSION_MAJOR * 10000 + EDDY_VERSION_MINOR * 100 + EDDY_VERSION_PATCH)
/// The version as text, "major.minor.patch".
#define EDDY_VERSION_STRING "0.2.0"
