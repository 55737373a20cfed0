#!/usr/bin/python3
"""slowfs.py BACKING MOUNTPOINT BYTES_PER_SECOND [STALL_FILE]: a FUSE file system that keeps files
in BACKING and takes writes at BYTES_PER_SECOND at most (each write sleeps for its share), the
disk that cannot keep up. With STALL_FILE (a path outside the mount), every read, open, listing
and removal waits while that file exists: the disk that stops answering, for as long as the test
says. Runs in the foreground
until unmounted (fusermount3 -u MOUNTPOINT)."""
import errno
import os
import sys
import time

from fusepy import FUSE, FuseOSError, Operations


class Slow(Operations):
    def __init__(self, root, rate, stall_file):
        self.root, self.rate, self.stall_file = root, rate, stall_file

    def _path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def getattr(self, path, fh=None):
        try:
            st = os.lstat(self._path(path))
        except OSError as e:
            raise FuseOSError(e.errno)
        return {k: getattr(st, k) for k in ("st_mode", "st_nlink", "st_size", "st_uid", "st_gid",
                                             "st_atime", "st_mtime", "st_ctime")}

    def _stall(self):
        while self.stall_file and os.path.exists(self.stall_file):
            time.sleep(0.05)

    def readdir(self, path, fh):
        self._stall()
        return [".", ".."] + os.listdir(self._path(path))

    def access(self, path, mode):
        if not os.access(self._path(path), mode):
            raise FuseOSError(errno.EACCES)

    def create(self, path, mode, fi=None):
        return os.open(self._path(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)

    def open(self, path, flags):
        self._stall()
        return os.open(self._path(path), flags)

    # pread and pwrite, not a seek then a read: the kernel sends one open file's reads (its
    # readahead beside the reader's own) to several of our threads at once, and a seek of one
    # between the seek and the read of another returned the right number of wrong bytes.
    def read(self, path, size, offset, fh):
        self._stall()
        return os.pread(fh, size, offset)

    def write(self, path, data, offset, fh):
        time.sleep(len(data) / self.rate)
        return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        with open(self._path(path), "r+") as f:
            f.truncate(length)

    def unlink(self, path):
        self._stall()
        os.unlink(self._path(path))

    def flush(self, path, fh):
        return 0

    def release(self, path, fh):
        os.close(fh)
        return 0

    def fsync(self, path, datasync, fh):
        return 0


if __name__ == "__main__":
    backing, mountpoint, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
    stall_file = sys.argv[4] if len(sys.argv) > 4 else None
    FUSE(Slow(backing, rate, stall_file), mountpoint, foreground=True, nothreads=False)
