import FuzzDriver

runLibFuzzer(fuzzCommandLine)
