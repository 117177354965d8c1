set terminal pngcairo size 960,540 font ',10'
set output 'bench/results/plots/throughput-burst-redis.png'
set title 'burst-redis: throughput over time (100 ms buckets)'
set xlabel 's since the release'
set ylabel 'per second'
set grid
set key top right
plot 'bench/results/plots/throughput-burst-redis.dat' using 1:2 with lines lw 2 title 'decisions/s', '' using 1:3 with lines lw 2 title 'bookings/s', '' using 1:4 with lines lw 2 title 'OK holds/s'
