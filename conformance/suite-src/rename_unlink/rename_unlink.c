/* path_rename, path_unlink_file. fs.dir: file.txt, dir/inner.txt. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static int exists(const char *path) {
    __wasi_filestat_t st;
    return __wasi_path_filestat_get(fs(), 0, path, &st) == 0;
}

CASE(path_rename_a_file, "path_rename") {
    EXPECT_OK(__wasi_path_rename(fs(), "file.txt", fs(), "renamed.txt"));
    EXPECT(!exists("file.txt"));
    EXPECT(exists("renamed.txt"));
}

CASE(path_rename_into_a_subdirectory, "path_rename") {
    EXPECT_OK(__wasi_path_rename(fs(), "file.txt", fs(), "dir/moved.txt"));
    EXPECT(exists("dir/moved.txt"));
}

CASE(path_rename_over_a_file_replaces_it, "path_rename path_filestat_get") {
    make_file(fs(), "old.txt", "old");
    EXPECT_OK(__wasi_path_rename(fs(), "file.txt", fs(), "old.txt"));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "old.txt", &st));
    EXPECT_EQ(st.size, 12);
}

CASE(path_rename_a_directory, "path_rename") {
    EXPECT_OK(__wasi_path_rename(fs(), "dir", fs(), "dir2"));
    EXPECT(exists("dir2/inner.txt"));
}

CASE(path_rename_missing_is_enoent, "path_rename") {
    EXPECT_ERRNO(__wasi_path_rename(fs(), "missing", fs(), "x"), __WASI_ERRNO_NOENT);
}

CASE(path_rename_a_file_over_a_directory_is_eisdir, "path_rename") {
    EXPECT_ERRNO(__wasi_path_rename(fs(), "file.txt", fs(), "dir"), __WASI_ERRNO_ISDIR);
}

CASE(path_rename_a_directory_over_a_file_is_enotdir, "path_rename") {
    EXPECT_ERRNO(__wasi_path_rename(fs(), "dir", fs(), "file.txt"), __WASI_ERRNO_NOTDIR);
}

CASE(path_unlink_file_removes_a_file, "path_unlink_file") {
    EXPECT_OK(__wasi_path_unlink_file(fs(), "file.txt"));
    EXPECT(!exists("file.txt"));
}

CASE(path_unlink_file_removes_a_symlink_not_its_target, "path_unlink_file") {
    EXPECT_OK(__wasi_path_unlink_file(fs(), "link"));
    EXPECT(!exists("link"));
    EXPECT(exists("file.txt"));
}

CASE(path_unlink_file_missing_is_enoent, "path_unlink_file") {
    EXPECT_ERRNO(__wasi_path_unlink_file(fs(), "missing"), __WASI_ERRNO_NOENT);
}

CASE(path_unlink_file_on_a_directory_is_eisdir, "path_unlink_file") {
    EXPECT_ERRNO(__wasi_path_unlink_file(fs(), "dir"), __WASI_ERRNO_ISDIR);
}

CASE(path_unlink_file_bad_fd_is_ebadf, "path_unlink_file") {
    EXPECT_ERRNO(__wasi_path_unlink_file(BAD_FD, "file.txt"), __WASI_ERRNO_BADF);
}

/* Found by `wasiport fuzz` (preview2-shim in the browser removed the file). POSIX: a path
   with a trailing slash names a directory; a file there is ENOTDIR. */
CASE(path_unlink_file_with_a_trailing_slash_is_enotdir, "path_unlink_file") {
    EXPECT_ERRNO(__wasi_path_unlink_file(fs(), "file.txt/"), __WASI_ERRNO_NOTDIR);
}

/* Found by `wasiport fuzz` (wasix panicked: "Expected target inode to exist, and it's too late
   to safely fail"). POSIX: a trailing slash names a directory, and file.txt is none. */
CASE(path_rename_onto_a_file_with_a_trailing_slash_is_enotdir, "path_rename") {
    EXPECT_ERRNO(__wasi_path_rename(fs(), "dir/inner.txt", fs(), "file.txt/"), __WASI_ERRNO_NOTDIR);
}
