/* path_open, fd_prestat_get, fd_prestat_dir_name. fs.dir: file.txt, dir/inner.txt,
 * link -> file.txt. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

CASE(path_open_an_existing_file, "path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &fd));
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 12);
}

CASE(path_open_a_nested_file, "path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "dir/inner.txt", 0, 0, &fd));
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 6);
}

CASE(path_open_missing_is_enoent, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(fs(), "missing.txt", 0, 0, &fd), __WASI_ERRNO_NOENT);
}

CASE(path_open_creat_makes_a_file, "path_open path_filestat_get") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "created.txt", __WASI_OFLAGS_CREAT, 0, &fd));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "created.txt", &st));
    EXPECT_EQ(st.size, 0);
}

CASE(path_open_excl_on_an_existing_file_is_eexist, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(fs(), "file.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, &fd),
                 __WASI_ERRNO_EXIST);
}

CASE(path_open_trunc_empties_a_file, "path_open fd_filestat_get") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "file.txt", __WASI_OFLAGS_TRUNC, 0, &fd));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(fd, &st));
    EXPECT_EQ(st.size, 0);
}

CASE(path_open_a_directory, "path_open fd_fdstat_get") {
    __wasi_fd_t fd;
    /* A directory is opened without file rights (asking to write one is EISDIR). */
    __wasi_rights_t dir_rights = __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_FILESTAT_GET |
                                 __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_FILESTAT_GET;
    EXPECT_OK(__wasi_path_open(fs(), 0, "dir", __WASI_OFLAGS_DIRECTORY, dir_rights, ALL_RIGHTS, 0,
                               &fd));
    __wasi_fdstat_t st;
    EXPECT_OK(__wasi_fd_fdstat_get(fd, &st));
    EXPECT_EQ(st.fs_filetype, __WASI_FILETYPE_DIRECTORY);
}

CASE(path_open_directory_flag_on_a_file_is_enotdir, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(fs(), "file.txt", __WASI_OFLAGS_DIRECTORY, 0, &fd), __WASI_ERRNO_NOTDIR);
}

CASE(path_open_through_a_file_is_enotdir, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(fs(), "file.txt/x", 0, 0, &fd), __WASI_ERRNO_NOTDIR);
}

CASE(path_open_a_symlink_without_follow_is_eloop, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(__wasi_path_open(fs(), 0, "link", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd),
                 __WASI_ERRNO_LOOP);
}

CASE(path_open_follows_a_symlink, "path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "link", 0, 0, &fd));
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 12);
}

CASE(path_open_a_directory_for_writing_is_eisdir, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(__wasi_path_open(fs(), 0, "dir", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd),
                 __WASI_ERRNO_ISDIR);
}

CASE(path_open_bad_fd_is_ebadf, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(BAD_FD, "file.txt", 0, 0, &fd), __WASI_ERRNO_BADF);
}

CASE(path_open_relative_to_a_file_is_enotdir, "path_open") {
    __wasi_fd_t file, fd;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &file));
    EXPECT_ERRNO(open_at(file, "x", 0, 0, &fd), __WASI_ERRNO_NOTDIR);
}

CASE(fd_prestat_get_of_a_preopen, "fd_prestat_get") {
    __wasi_prestat_t st;
    EXPECT_OK(__wasi_fd_prestat_get(fs(), &st));
    EXPECT_EQ(st.tag, __WASI_PREOPENTYPE_DIR);
    EXPECT_EQ(st.u.dir.pr_name_len, 6);
}

CASE(fd_prestat_get_of_stdout_is_ebadf, "fd_prestat_get") {
    __wasi_prestat_t st;
    EXPECT_ERRNO(__wasi_fd_prestat_get(1, &st), __WASI_ERRNO_BADF);
}

CASE(fd_prestat_get_bad_fd_is_ebadf, "fd_prestat_get") {
    __wasi_prestat_t st;
    EXPECT_ERRNO(__wasi_fd_prestat_get(BAD_FD, &st), __WASI_ERRNO_BADF);
}

CASE(fd_prestat_dir_name_of_a_preopen, "fd_prestat_dir_name") {
    char name[8] = {0};
    EXPECT_OK(__wasi_fd_prestat_dir_name(fs(), (uint8_t *)name, 6));
    EXPECT_BYTES(name, "fs.dir", 6);
}

CASE(fd_prestat_dir_name_bad_fd_is_ebadf, "fd_prestat_dir_name") {
    char name[8];
    EXPECT_ERRNO(__wasi_fd_prestat_dir_name(BAD_FD, (uint8_t *)name, 8), __WASI_ERRNO_BADF);
}
