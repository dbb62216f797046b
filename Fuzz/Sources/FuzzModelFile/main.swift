import FuzzDriver

runLibFuzzer(fuzzModelFile)
