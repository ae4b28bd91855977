// lmdsd: the daemon's entry point and its command line (serve, and the offline commands: replay, import,
// site); the daemon itself lives in LMDSServer and the core in LMDSCore, so that tests reach them.
import ArgumentParser
import LMDSServer

@main
enum Entry {
    static func main() async {
        await DaemonCommand.main()
    }
}
