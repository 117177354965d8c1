set terminal pngcairo size 960,540 font ',10'
set output 'bench/results/plots/latency-cdf.png'
set title 'Latency CDF per system (burst; every answer a patient got)'
set logscale x
set xlabel 'ms'
set ylabel 'fraction'
set grid
set key bottom right
set yrange [0:1]
plot 'bench/results/plots/cdf-burst-native.dat' using 1:2 with steps lw 2 title 'burst-native', 'bench/results/plots/cdf-burst-http.dat' using 1:2 with steps lw 2 title 'burst-http', 'bench/results/plots/cdf-burst-native-vs-redis.dat' using 1:2 with steps lw 2 title 'burst-native-vs-redis', 'bench/results/plots/cdf-burst-redis.dat' using 1:2 with steps lw 2 title 'burst-redis', 'bench/results/plots/cdf-burst-native-vs-etcd.dat' using 1:2 with steps lw 2 title 'burst-native-vs-etcd', 'bench/results/plots/cdf-burst-etcd.dat' using 1:2 with steps lw 2 title 'burst-etcd'
