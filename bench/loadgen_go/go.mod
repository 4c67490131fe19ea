module feedgraph/bench/loadgen

go 1.22
