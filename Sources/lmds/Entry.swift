// lmds: the CLI's entry point. All logic lives in LMDSCommandLine so that tests reach it.
import LMDSCommandLine

#if canImport(Glibc)
import Glibc
#endif

@main
enum Entry {
    static func main() {
        // Signals blocked by a parent are inherited across exec; `lmds events --follow` must stop on SIGTERM.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        exit(LMDSCommand.run(Array(CommandLine.arguments.dropFirst())))
    }
}
