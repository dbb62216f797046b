import FuzzDriver

runLibFuzzer(fuzzNumpy)
