// lmdsd: the daemon's entry point. All logic lives in LMDSServer so that tests reach it.
import ArgumentParser
import LMDSServer

@main
enum Entry {
    static func main() async {
        await DaemonCommand.main()
    }
}
