// lmds: the CLI's entry point. All logic lives in LMDSCommandLine so that tests reach it.
import LMDSCommandLine

#if canImport(Glibc)
import Glibc
#endif

@main
enum Entry {
    static func main() {
        exit(LMDSCommand.run(Array(CommandLine.arguments.dropFirst())))
    }
}
