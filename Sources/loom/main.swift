import LoomCommandLine

// The `loom` tool: every subcommand lives in LoomCommandLine.
LoomCommand.prepareStandardOutput()
LoomCommand.main()
