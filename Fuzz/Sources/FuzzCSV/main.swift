import FuzzDriver

runLibFuzzer(fuzzCSV)
