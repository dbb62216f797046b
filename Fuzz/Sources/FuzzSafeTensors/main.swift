import FuzzDriver

runLibFuzzer(fuzzSafeTensors)
