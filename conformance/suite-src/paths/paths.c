/* path_open, fd_prestat_get, fd_prestat_dir_name. fs.dir: file.txt, dir/inner.txt,
 * link -> file.txt. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

//! path_open_an_existing_file {"mandated": "witx path_open: similar to openat in POSIX; POSIX.1-2017 openat(): opens the named file with the offset at its start; read(): returns fewer bytes than asked only when fewer are left"}
CASE(path_open_an_existing_file, "path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &fd));
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 12);
}

//! path_open_a_nested_file {"mandated": "witx path_open: the path is relative to the fd directory, similar to openat in POSIX; POSIX.1-2017 openat(): a relative path is resolved from fd's directory, through its directory components"}
CASE(path_open_a_nested_file, "path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "dir/inner.txt", 0, 0, &fd));
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 6);
}

//! path_open_missing_is_enoent {"mandated": "witx path_open: similar to openat in POSIX; POSIX.1-2017 openat(): ENOENT when O_CREAT is not set and a component of path does not name an existing file"}
CASE(path_open_missing_is_enoent, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(fs(), "missing.txt", 0, 0, &fd), __WASI_ERRNO_NOENT);
}

//! path_open_creat_makes_a_file {"mandated": "witx path_open: similar to openat in POSIX; typenames oflags creat: create the file if it does not exist; POSIX.1-2017 openat(): with O_CREAT a missing file is created as a new regular file, holding no data"}
CASE(path_open_creat_makes_a_file, "path_open path_filestat_get") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "created.txt", __WASI_OFLAGS_CREAT, 0, &fd));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_path_filestat_get(fs(), FOLLOW, "created.txt", &st));
    EXPECT_EQ(st.size, 0);
}

//! path_open_excl_on_an_existing_file_is_eexist {"mandated": "typenames oflags excl: fail if the file already exists; witx path_open: similar to openat in POSIX; POSIX.1-2017 openat(): EEXIST when O_CREAT and O_EXCL are set and the named file exists"}
CASE(path_open_excl_on_an_existing_file_is_eexist, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(fs(), "file.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, &fd),
                 __WASI_ERRNO_EXIST);
}

//! path_open_trunc_empties_a_file {"mandated": "typenames oflags trunc: truncate the file to size 0; witx path_open: similar to openat in POSIX; POSIX.1-2017 openat(): O_TRUNC truncates an existing regular file opened for writing to length 0"}
CASE(path_open_trunc_empties_a_file, "path_open fd_filestat_get") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "file.txt", __WASI_OFLAGS_TRUNC, 0, &fd));
    __wasi_filestat_t st;
    EXPECT_OK(__wasi_fd_filestat_get(fd, &st));
    EXPECT_EQ(st.size, 0);
}

//! path_open_a_directory {"mandated": "witx path_open: opens a file or directory; typenames oflags directory: fail if not a directory; POSIX.1-2017 openat(): O_DIRECTORY fails only for a non-directory; witx fd_fdstat_get: fs_filetype directory"}
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

//! path_open_directory_flag_on_a_file_is_enotdir {"mandated": "typenames oflags directory: fail if not a directory; witx path_open: similar to openat in POSIX; POSIX.1-2017 openat(): ENOTDIR when O_DIRECTORY is set and path resolves to a non-directory file"}
CASE(path_open_directory_flag_on_a_file_is_enotdir, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(fs(), "file.txt", __WASI_OFLAGS_DIRECTORY, 0, &fd), __WASI_ERRNO_NOTDIR);
}

//! path_open_through_a_file_is_enotdir {"mandated": "witx path_open: similar to openat in POSIX; POSIX.1-2017 openat(): ENOTDIR when a component of the path prefix names an existing file that is neither a directory nor a symlink to one"}
CASE(path_open_through_a_file_is_enotdir, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(fs(), "file.txt/x", 0, 0, &fd), __WASI_ERRNO_NOTDIR);
}

//! path_open_a_symlink_without_follow_is_eloop {"mandated": "witx path_open: similar to openat in POSIX; typenames lookupflags: a symlink is expanded only with symlink_follow (without it, as O_NOFOLLOW); POSIX.1-2017 openat(): ELOOP when O_NOFOLLOW is set and path names a symbolic link"}
CASE(path_open_a_symlink_without_follow_is_eloop, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(__wasi_path_open(fs(), 0, "link", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd),
                 __WASI_ERRNO_LOOP);
}

//! path_open_follows_a_symlink {"mandated": "witx path_open: similar to openat in POSIX; typenames lookupflags symlink_follow: a symlink is expanded; POSIX.1-2017 openat(): a symlink in path is followed to the file it names"}
CASE(path_open_follows_a_symlink, "path_open") {
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "link", 0, 0, &fd));
    char buf[16] = {0};
    EXPECT_EQ(read_some(fd, buf, sizeof buf), 12);
}

/* What opening a directory with the write right may do: EISDIR (preferred), or open it without
 * that right, which the guest says by exiting 3 (implementation-defined). */
static void expect_eisdir_or_the_write_right_dropped(__wasi_errno_t e, __wasi_fd_t fd) {
    if (e == __WASI_ERRNO_SUCCESS) {
        __wasi_fdstat_t st;
        EXPECT_OK(__wasi_fd_fdstat_get(fd, &st));
        if (st.fs_filetype == __WASI_FILETYPE_DIRECTORY &&
            (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) == 0)
            __wasi_proc_exit(3);
    }
    EXPECT_ERRNO(e, __WASI_ERRNO_ISDIR);
}

//! path_open_a_directory_for_writing_is_eisdir {"implementation_defined": {"why": "WASI preview 1 does not say what `path_open` of a directory with `fd_write` in its rights does, and lets it return fewer rights than asked when they do not apply to the file's type: EISDIR, as POSIX's open of a directory for writing and wasmtime, is preferred; opening it without the write right is allowed", "also": [{"exit_code": 3}]}}
CASE(path_open_a_directory_for_writing_is_eisdir, "path_open") {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(fs(), 0, "dir", 0, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
    expect_eisdir_or_the_write_right_dropped(e, fd);
}

/* With O_DIRECTORY too. POSIX's open says EISDIR for a directory opened for writing, and the
 * reference host does; a directory opened with the write right dropped is allowed (exit 3). */
//! path_open_a_directory_with_the_write_right_is_eisdir_too {"implementation_defined": {"why": "WASI preview 1 does not say what `path_open` of a directory with `fd_write` in its rights does: EISDIR, as POSIX's open of a directory for writing and wasmtime, is preferred; opening it without the write right is allowed", "also": [{"exit_code": 3}]}}
CASE(path_open_a_directory_with_the_write_right_is_eisdir_too, "path_open") {
    __wasi_fd_t fd;
    __wasi_rights_t rights = __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READDIR;
    __wasi_errno_t e =
        __wasi_path_open(fs(), 0, "dir", __WASI_OFLAGS_DIRECTORY, rights, 0, 0, &fd);
    expect_eisdir_or_the_write_right_dropped(e, fd);
}

//! path_open_bad_fd_is_ebadf {"mandated": "witx path_open: similar to openat in POSIX; POSIX.1-2017 openat(): EBADF when path is relative and fd is not a valid file descriptor open for reading or searching"}
CASE(path_open_bad_fd_is_ebadf, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(BAD_FD, "file.txt", 0, 0, &fd), __WASI_ERRNO_BADF);
}

//! path_open_relative_to_a_file_is_enotdir {"mandated": "witx path_open: similar to openat in POSIX; POSIX.1-2017 openat(): ENOTDIR when path is relative and fd is associated with a non-directory file"}
CASE(path_open_relative_to_a_file_is_enotdir, "path_open") {
    __wasi_fd_t file, fd;
    EXPECT_OK(open_at(fs(), "file.txt", 0, 0, &file));
    EXPECT_ERRNO(open_at(file, "x", 0, 0, &fd), __WASI_ERRNO_NOTDIR);
}

//! fd_prestat_get_of_a_preopen {"mandated": "witx fd_prestat_get: describes a preopened fd; typenames prestat: preopentype dir, with pr_name_len the length of the directory's name (the runner preopens \"fs.dir\", 6 bytes)"}
CASE(fd_prestat_get_of_a_preopen, "fd_prestat_get") {
    __wasi_prestat_t st;
    EXPECT_OK(__wasi_fd_prestat_get(fs(), &st));
    EXPECT_EQ(st.tag, __WASI_PREOPENTYPE_DIR);
    EXPECT_EQ(st.u.dir.pr_name_len, 6);
}

//! fd_prestat_get_of_stdout_is_ebadf {"implementation_defined": {"why": "witx fd_prestat_get describes a preopened fd and says nothing of an open fd that is not one (wasi-libc asks only from fd 3 on, stopping at EBADF). EBADF (wasmtime) is preferred; another error is allowed", "also": ["errno"]}}
CASE(fd_prestat_get_of_stdout_is_ebadf, "fd_prestat_get") {
    __wasi_prestat_t st;
    EXPECT_ERRNO(__wasi_fd_prestat_get(1, &st), __WASI_ERRNO_BADF);
}

//! fd_prestat_get_bad_fd_is_ebadf {"mandated": "witx fd_prestat_get: takes an fd (no POSIX note); typenames errno badf: bad file descriptor; POSIX.1-2017 XSH 2.3: EBADF is the error for a file descriptor argument that refers to no open file"}
CASE(fd_prestat_get_bad_fd_is_ebadf, "fd_prestat_get") {
    __wasi_prestat_t st;
    EXPECT_ERRNO(__wasi_fd_prestat_get(BAD_FD, &st), __WASI_ERRNO_BADF);
}

//! fd_prestat_dir_name_of_a_preopen {"mandated": "witx fd_prestat_dir_name: writes the preopened directory's name into the buffer; typenames prestat_dir pr_name_len: the length of that name, for this call"}
CASE(fd_prestat_dir_name_of_a_preopen, "fd_prestat_dir_name") {
    char name[8] = {0};
    EXPECT_OK(__wasi_fd_prestat_dir_name(fs(), (uint8_t *)name, 6));
    EXPECT_BYTES(name, "fs.dir", 6);
}

/* wasi-libc, and a program that takes the first preopen, find the preopens from fd 3 on, in
 * the order the host gave them, with nothing of the host's own before or among them (as
 * wasmtime, the reference host, numbers them). */
//! the_preopens_are_fd_3_on_in_the_order_given {"readonly_dirs": ["ro.dir"]}
//! the_preopens_are_fd_3_on_in_the_order_given {"mandated": "wasiport RunConfig: the preopened directories, in the order given, are the guest's fds 3, 4, ...; wasi-libc finds its preopens by asking fd_prestat_get from fd 3 upward (a program that takes the first preopen must get the first directory)"}
CASE(the_preopens_are_fd_3_on_in_the_order_given, "fd_prestat_get fd_prestat_dir_name") {
    const char *names[2] = {"fs.dir", "ro.dir"};
    for (int i = 0; i < 2; i++) {
        __wasi_prestat_t st;
        char name[8] = {0};
        EXPECT_OK(__wasi_fd_prestat_get(3 + i, &st));
        EXPECT_EQ(st.u.dir.pr_name_len, 6);
        EXPECT_OK(__wasi_fd_prestat_dir_name(3 + i, (uint8_t *)name, 6));
        EXPECT_BYTES(name, names[i], 6);
    }
    __wasi_prestat_t st;
    EXPECT_ERRNO(__wasi_fd_prestat_get(5, &st), __WASI_ERRNO_BADF);
}

//! fd_prestat_dir_name_bad_fd_is_ebadf {"mandated": "witx fd_prestat_dir_name: takes an fd (no POSIX note); typenames errno badf: bad file descriptor; POSIX.1-2017 XSH 2.3: EBADF is the error for a file descriptor argument that refers to no open file"}
CASE(fd_prestat_dir_name_bad_fd_is_ebadf, "fd_prestat_dir_name") {
    char name[8];
    EXPECT_ERRNO(__wasi_fd_prestat_dir_name(BAD_FD, (uint8_t *)name, 8), __WASI_ERRNO_BADF);
}

/* Found by `wasiport fuzz` (preview2-shim and browser_wasi_shim open the directory itself).
   POSIX open: ENOENT when "the path argument points to an empty string". */
//! path_open_an_empty_path_is_enoent {"mandated": "witx path_open: similar to openat in POSIX; POSIX.1-2017 openat(): ENOENT when path points to an empty string"}
CASE(path_open_an_empty_path_is_enoent, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(fs(), "", 0, 0, &fd), __WASI_ERRNO_NOENT);
}

/* Found by `wasiport fuzz` (wasmer and the browser's shims open the directory). POSIX open:
   EISDIR when the file is a directory and oflag "includes O_CREAT without O_DIRECTORY". */
//! path_open_creat_on_a_directory_with_a_trailing_slash_is_eisdir {"mandated": "witx path_open: similar to openat in POSIX; POSIX.1-2017 openat(): EISDIR when the named file is a directory and oflag includes O_CREAT without O_DIRECTORY"}
CASE(path_open_creat_on_a_directory_with_a_trailing_slash_is_eisdir, "path_open") {
    __wasi_fd_t fd;
    EXPECT_ERRNO(open_at(fs(), "dir/", __WASI_OFLAGS_CREAT, 0, &fd), __WASI_ERRNO_ISDIR);
}
