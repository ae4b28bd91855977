#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data directory's file-system rules: created 0700, never writable by others, and held by one
/// writing process at a time through an advisory lock on `lmds.lock`.
enum DataDirectory {
    /// Name of the lock file inside the data directory.
    static let lockFileName = "lmds.lock"

    /// Creates `path` (and missing parents) with mode 0700, or checks an existing one.
    static func prepare(_ path: String) throws(EventLogError) {
        try createDirectories(path)
        try checkExisting(path)
    }

    /// Checks that `path` is a directory that others cannot write to.
    static func checkExisting(_ path: String) throws(EventLogError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw EventLogError(.dataDirectoryUnusable, "data directory \(path) does not exist (\(errnoText()))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw EventLogError(.dataDirectoryUnusable, "data directory \(path) is not a directory")
        }
        guard info.st_mode & S_IWOTH == 0 else {
            throw EventLogError(.dataDirectoryUnusable,
                "data directory \(path) is writable by others (mode \(String(info.st_mode & 0o777, radix: 8))); run: chmod 700 \(path)")
        }
    }

    /// Creates `path` as a new, empty directory (mode 0700) for a backup; an existing empty one is accepted.
    static func prepareEmpty(_ path: String) throws(EventLogError) {
        try createDirectories(path)
        guard let directory = opendir(path) else {
            throw EventLogError(.dataDirectoryUnusable, "cannot read \(path) (\(errnoText()))")
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." {
                throw EventLogError(.dataDirectoryUnusable, "\(path) is not empty: a backup needs a new or empty directory")
            }
        }
    }

    static func createDirectories(_ path: String) throws(EventLogError) {
        guard !path.isEmpty else { throw EventLogError(.dataDirectoryUnusable, "the data directory path is empty") }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw EventLogError(.dataDirectoryUnusable, "cannot create \(prefix) (\(errnoText()))")
            }
            prefix += "/"
        }
    }

    /// Takes the exclusive lock on the directory and writes this process's id into the lock file.
    /// - Returns: the descriptor that holds the lock for the life of the log.
    static func lock(_ path: String) throws(EventLogError) -> Int32 {
        let lockPath = path + "/" + lockFileName
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw EventLogError(.dataDirectoryUnusable, "cannot open \(lockPath) (\(errnoText()))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &buffer, 32, 0)
            close(descriptor)
            let holder = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self).trimmingWhiteSpace : "unknown"
            throw EventLogError(.dataDirectoryLocked,
                "data directory \(path) is in use by another lmds process (pid \(holder)); stop it first, or open the log read-only")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return descriptor
    }

    /// Bytes available to this process on the file system holding `path`, or `nil` when unknown.
    static func freeBytes(_ path: String) -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

extension String {
    var trimmingWhiteSpace: String {
        String(self.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
