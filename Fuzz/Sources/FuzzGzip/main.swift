import FuzzDriver

runLibFuzzer(fuzzGzip)
