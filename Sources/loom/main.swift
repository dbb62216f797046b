import LoomCommandLine

// The `loom` tool: every subcommand lives in LoomCommandLine.
LoomCommand.main()
