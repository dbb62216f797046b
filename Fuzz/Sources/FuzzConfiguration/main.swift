import FuzzDriver

runLibFuzzer(fuzzConfiguration)
