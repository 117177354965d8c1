set terminal pngcairo size 960,540 font ',10'
set output 'bench/results/plots/throughput-failover-native.png'
set title 'failover-native: throughput over time (100 ms buckets; red: leader killed)'
set xlabel 's since the release'
set ylabel 'per second'
set grid
set key top right
set arrow from 2.045, graph 0 to 2.045, graph 1 nohead lc rgb 'red' dt 2
set arrow from 7.041, graph 0 to 7.041, graph 1 nohead lc rgb 'red' dt 2
set arrow from 12.043, graph 0 to 12.043, graph 1 nohead lc rgb 'red' dt 2
plot 'bench/results/plots/throughput-failover-native.dat' using 1:2 with lines lw 2 title 'decisions/s', '' using 1:3 with lines lw 2 title 'bookings/s', '' using 1:4 with lines lw 2 title 'OK holds/s'
