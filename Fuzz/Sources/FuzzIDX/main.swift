import FuzzDriver

runLibFuzzer(fuzzIDX)
