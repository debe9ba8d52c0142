import Foundation
import SynapseCommandLine

// `synapse`: train, evaluate and explore neural networks from the shell (SynapseCommandLine does the work).
// A write past the file-size limit (ulimit -f) then fails with EFBIG and is reported like a full
// disk, instead of the signal killing the process mid-save.
signal(SIGXFSZ, SIG_IGN)
exit(SynapseCommandLine.run(Array(CommandLine.arguments.dropFirst())))
