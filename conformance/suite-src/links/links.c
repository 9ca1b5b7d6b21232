/* path_symlink, path_readlink, path_link. fs.dir: file.txt, dir/, link -> file.txt. */
#include "check.h"

//! * {"dirs": ["fs.dir"]}

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

//! path_readlink_reads_a_symlink {"mandated": "witx path_readlink: similar to readlinkat in POSIX; POSIX.1-2017 readlink(): places the link's contents in buf and returns the count of bytes placed"}
CASE(path_readlink_reads_a_symlink, "path_readlink") {
    char buf[32] = {0};
    __wasi_size_t used = 0;
    EXPECT_OK(__wasi_path_readlink(fs(), "link", (uint8_t *)buf, sizeof buf, &used));
    EXPECT_EQ(used, 8);
    EXPECT_BYTES(buf, "file.txt", 8);
}

//! path_readlink_truncates_to_the_buffer {"mandated": "witx path_readlink: similar to readlinkat in POSIX, and if buf is too small the first buf_len bytes are written; POSIX.1-2017 readlink(): the first bufsize bytes are placed in buf and the count placed is returned"}
CASE(path_readlink_truncates_to_the_buffer, "path_readlink") {
    char buf[4] = {0};
    __wasi_size_t used = 0;
    EXPECT_OK(__wasi_path_readlink(fs(), "link", (uint8_t *)buf, sizeof buf, &used));
    EXPECT_EQ(used, 4);
    EXPECT_BYTES(buf, "file", 4);
}

//! path_readlink_of_a_file_is_einval {"mandated": "witx path_readlink: similar to readlinkat in POSIX; POSIX.1-2017 readlink(): EINVAL when path names a file that is not a symbolic link"}
CASE(path_readlink_of_a_file_is_einval, "path_readlink") {
    char buf[32];
    __wasi_size_t used;
    EXPECT_ERRNO(__wasi_path_readlink(fs(), "file.txt", (uint8_t *)buf, sizeof buf, &used),
                 __WASI_ERRNO_INVAL);
}

//! path_readlink_missing_is_enoent {"mandated": "witx path_readlink: similar to readlinkat in POSIX; POSIX.1-2017 readlink(): ENOENT when a component of path does not name an existing file"}
CASE(path_readlink_missing_is_enoent, "path_readlink") {
    char buf[32];
    __wasi_size_t used;
    EXPECT_ERRNO(__wasi_path_readlink(fs(), "missing", (uint8_t *)buf, sizeof buf, &used),
                 __WASI_ERRNO_NOENT);
}

//! path_symlink_creates_a_symlink {"mandated": "witx path_symlink: similar to symlinkat in POSIX; POSIX.1-2017 symlink(): creates a link containing the string path1; readlink(): returns that content; typenames lookupflags symlink_follow: opening through the link expands it"}
CASE(path_symlink_creates_a_symlink, "path_symlink path_readlink path_open") {
    EXPECT_OK(__wasi_path_symlink("dir/inner.txt", fs(), "to_inner"));
    char buf[32] = {0};
    __wasi_size_t used = 0;
    EXPECT_OK(__wasi_path_readlink(fs(), "to_inner", (uint8_t *)buf, sizeof buf, &used));
    EXPECT_EQ(used, 13);
    EXPECT_BYTES(buf, "dir/inner.txt", 13);
    __wasi_fd_t fd;
    EXPECT_OK(open_at(fs(), "to_inner", 0, 0, &fd));
    char text[8] = {0};
    EXPECT_EQ(read_some(fd, text, sizeof text), 6);
}

//! path_symlink_over_an_existing_file_is_eexist {"mandated": "witx path_symlink: similar to symlinkat in POSIX; POSIX.1-2017 symlink(): EEXIST when path2 names an existing file"}
CASE(path_symlink_over_an_existing_file_is_eexist, "path_symlink") {
    EXPECT_ERRNO(__wasi_path_symlink("dir", fs(), "file.txt"), __WASI_ERRNO_EXIST);
}

//! path_symlink_bad_fd_is_ebadf {"mandated": "witx path_symlink: similar to symlinkat in POSIX; POSIX.1-2017 symlinkat(): EBADF when path2 is relative and fd is not a valid file descriptor open for reading or searching"}
CASE(path_symlink_bad_fd_is_ebadf, "path_symlink") {
    EXPECT_ERRNO(__wasi_path_symlink("file.txt", BAD_FD, "x"), __WASI_ERRNO_BADF);
}

//! path_link_makes_a_hard_link {"mandated": "witx path_link: similar to linkat in POSIX; POSIX.1-2017 link(): creates a new directory entry for the existing file and increments its link count by one (nlink 2, and the same typenames filestat ino)"}
CASE(path_link_makes_a_hard_link, "path_link path_filestat_get") {
    EXPECT_OK(__wasi_path_link(fs(), 0, "file.txt", fs(), "hard.txt"));
    __wasi_filestat_t a, b;
    EXPECT_OK(__wasi_path_filestat_get(fs(), 0, "file.txt", &a));
    EXPECT_OK(__wasi_path_filestat_get(fs(), 0, "hard.txt", &b));
    EXPECT_EQ(a.nlink, 2);
    EXPECT_EQ(a.ino, b.ino);
}

/* SYMLINK_FOLLOW on path_link's source links what the symlink names (file.txt's inode, a
 * regular file), as POSIX's linkat with AT_SYMLINK_FOLLOW; refusing the flag is allowed; a link
 * to the symlink itself ignores the flag, a failure. */
//! path_link_with_symlink_follow_links_the_target {"implementation_defined": {"why": "WASI preview 1 says `path_link`'s `old_flags` determine how the old path is resolved, not that a host must follow a symlink there: a link to the symlink's target (POSIX linkat with AT_SYMLINK_FOLLOW) is preferred; refusing the flag with an error (wasmtime: EINVAL) is allowed", "also": ["errno"]}}
CASE(path_link_with_symlink_follow_links_the_target, "path_link path_filestat_get") {
    __wasi_errno_t e = __wasi_path_link(fs(), FOLLOW, "link", fs(), "hard.txt");
    EXPECT_ERRNO(e, 0);
    if (e != 0) return;
    __wasi_filestat_t target, made;
    EXPECT_OK(__wasi_path_filestat_get(fs(), 0, "file.txt", &target));
    EXPECT_OK(__wasi_path_filestat_get(fs(), 0, "hard.txt", &made));
    EXPECT_EQ(made.filetype, __WASI_FILETYPE_REGULAR_FILE);
    EXPECT_EQ(made.ino, target.ino);
}

//! path_link_over_an_existing_file_is_eexist {"mandated": "witx path_link: similar to linkat in POSIX; POSIX.1-2017 link(): EEXIST when path2 resolves to an existing directory entry"}
CASE(path_link_over_an_existing_file_is_eexist, "path_link") {
    make_file(fs(), "other.txt", "x");
    EXPECT_ERRNO(__wasi_path_link(fs(), 0, "file.txt", fs(), "other.txt"), __WASI_ERRNO_EXIST);
}

//! path_link_missing_source_is_enoent {"mandated": "witx path_link: similar to linkat in POSIX; POSIX.1-2017 link(): ENOENT when the file named by path1 does not exist"}
CASE(path_link_missing_source_is_enoent, "path_link") {
    EXPECT_ERRNO(__wasi_path_link(fs(), 0, "missing", fs(), "new.txt"), __WASI_ERRNO_NOENT);
}
