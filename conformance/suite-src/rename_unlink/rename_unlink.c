/* path_rename, path_unlink_file. fs.dir: file.txt, dir/inner.txt. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static int exists(const char *path) {
    __wasi_filestat_t st;
    return __wasi_path_filestat_get(fs(), 0, path, &st) == 0;
}

//! path_rename_a_file {"mandated": "witx path_rename: similar to renameat in POSIX; POSIX.1-2017 renameat(): changes the name of a file, so afterwards the old name is gone and the new one names the file"}
CASE(path_rename_a_file, "path_rename") {
    EXPECT_OK(__wasi_path_rename(fs(), "file.txt", fs(), "renamed.txt"));
    EXPECT(!exists("file.txt"));
    EXPECT(exists("renamed.txt"));
}

//! path_rename_into_a_subdirectory {"mandated": "witx path_rename: similar to renameat in POSIX; POSIX.1-2017 renameat(): the new path (resolved from new_fd) may lie in another directory; the file then exists under that new pathname"}
CASE(path_rename_into_a_subdirectory, "path_rename") {
    EXPECT_OK(__wasi_path_rename(fs(), "file.txt", fs(), "dir/moved.txt"));
    EXPECT(exists("dir/moved.txt"));
}

//! path_rename_over_a_file_replaces_it {"mandated": "witx path_rename: similar to renameat in POSIX; POSIX.1-2017 renameat(): if the link named by new exists it shall be removed and old renamed to new, so new now has old's contents"}
CASE(path_rename_over_a_file_replaces_it, "path_rename path_filestat_get") {
    make_file(fs(), "old.txt", "old");
    EXPECT_OK(__wasi_path_rename(fs(), "file.txt", fs(), "old.txt"));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "old.txt", &st));
    EXPECT_EQ(st.size, 12);
}

//! path_rename_a_directory {"mandated": "witx path_rename: similar to renameat in POSIX; POSIX.1-2017 renameat(): a directory may be renamed to a name that does not exist; its entries stay in it under the new name"}
CASE(path_rename_a_directory, "path_rename") {
    EXPECT_OK(__wasi_path_rename(fs(), "dir", fs(), "dir2"));
    EXPECT(exists("dir2/inner.txt"));
}

//! path_rename_missing_is_enoent {"mandated": "witx path_rename: similar to renameat in POSIX; POSIX.1-2017 renameat(): ENOENT when the link named by old does not name an existing file"}
CASE(path_rename_missing_is_enoent, "path_rename") {
    EXPECT_ERRNO(__wasi_path_rename(fs(), "missing", fs(), "x"), __WASI_ERRNO_NOENT);
}

//! path_rename_a_file_over_a_directory_is_eisdir {"mandated": "witx path_rename: similar to renameat in POSIX; POSIX.1-2017 renameat(): EISDIR when new names a directory and old names a file that is not a directory"}
CASE(path_rename_a_file_over_a_directory_is_eisdir, "path_rename") {
    EXPECT_ERRNO(__wasi_path_rename(fs(), "file.txt", fs(), "dir"), __WASI_ERRNO_ISDIR);
}

//! path_rename_a_directory_over_a_file_is_enotdir {"mandated": "witx path_rename: similar to renameat in POSIX; POSIX.1-2017 renameat(): ENOTDIR when old names a directory and new names a non-directory file"}
CASE(path_rename_a_directory_over_a_file_is_enotdir, "path_rename") {
    EXPECT_ERRNO(__wasi_path_rename(fs(), "dir", fs(), "file.txt"), __WASI_ERRNO_NOTDIR);
}

//! path_unlink_file_removes_a_file {"mandated": "witx path_unlink_file: similar to unlinkat(fd, path, 0) in POSIX; POSIX.1-2017 unlinkat(): removes the link named by path, so the name no longer exists"}
CASE(path_unlink_file_removes_a_file, "path_unlink_file") {
    EXPECT_OK(__wasi_path_unlink_file(fs(), "file.txt"));
    EXPECT(!exists("file.txt"));
}

//! path_unlink_file_removes_a_symlink_not_its_target {"mandated": "witx path_unlink_file: similar to unlinkat(fd, path, 0) in POSIX; POSIX.1-2017 unlinkat(): a symbolic link named by path is itself removed and the file it points to is not affected"}
CASE(path_unlink_file_removes_a_symlink_not_its_target, "path_unlink_file") {
    EXPECT_OK(__wasi_path_unlink_file(fs(), "link"));
    EXPECT(!exists("link"));
    EXPECT(exists("file.txt"));
}

//! path_unlink_file_missing_is_enoent {"mandated": "witx path_unlink_file: similar to unlinkat(fd, path, 0) in POSIX; POSIX.1-2017 unlinkat(): ENOENT when a component of path does not name an existing file"}
CASE(path_unlink_file_missing_is_enoent, "path_unlink_file") {
    EXPECT_ERRNO(__wasi_path_unlink_file(fs(), "missing"), __WASI_ERRNO_NOENT);
}

//! path_unlink_file_on_a_directory_is_eisdir {"mandated": "witx path_unlink_file: returns errno::isdir if the path refers to a directory (POSIX.1-2017 unlink() says EPERM here; the witx names isdir)"}
CASE(path_unlink_file_on_a_directory_is_eisdir, "path_unlink_file") {
    EXPECT_ERRNO(__wasi_path_unlink_file(fs(), "dir"), __WASI_ERRNO_ISDIR);
}

//! path_unlink_file_bad_fd_is_ebadf {"mandated": "witx path_unlink_file: similar to unlinkat(fd, path, 0) in POSIX; POSIX.1-2017 unlinkat(): EBADF when path is relative and fd is not a valid file descriptor"}
CASE(path_unlink_file_bad_fd_is_ebadf, "path_unlink_file") {
    EXPECT_ERRNO(__wasi_path_unlink_file(BAD_FD, "file.txt"), __WASI_ERRNO_BADF);
}

/* Found by `wasiport fuzz` (preview2-shim in the browser removed the file). POSIX: a path
   with a trailing slash names a directory; a file there is ENOTDIR. */
//! path_unlink_file_with_a_trailing_slash_is_enotdir {"mandated": "witx path_unlink_file: similar to unlinkat(fd, path, 0) in POSIX; POSIX.1-2017 unlinkat(): ENOTDIR when path ends with a slash and its last component names an existing file that is neither a directory nor a symlink to one"}
CASE(path_unlink_file_with_a_trailing_slash_is_enotdir, "path_unlink_file") {
    EXPECT_ERRNO(__wasi_path_unlink_file(fs(), "file.txt/"), __WASI_ERRNO_NOTDIR);
}

/* Found by `wasiport fuzz` (wasix panicked: "Expected target inode to exist, and it's too late
   to safely fail"). POSIX: a trailing slash names a directory, and file.txt is none. */
//! path_rename_onto_a_file_with_a_trailing_slash_is_enotdir {"mandated": "witx path_rename: similar to renameat in POSIX; POSIX.1-2017 renameat(): ENOTDIR when new names an existing non-directory file and ends with one or more trailing slashes"}
CASE(path_rename_onto_a_file_with_a_trailing_slash_is_enotdir, "path_rename") {
    EXPECT_ERRNO(__wasi_path_rename(fs(), "dir/inner.txt", fs(), "file.txt/"), __WASI_ERRNO_NOTDIR);
}
