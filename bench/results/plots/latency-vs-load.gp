set terminal pngcairo size 960,540 font ',10'
set output 'bench/results/plots/latency-vs-load.png'
set title 'Latency against load (steady arrivals; every answer)'
set logscale y
set xlabel 'achieved per second (hold decisions; schema 1: all decisions)'
set ylabel 'ms'
set grid
set key top left
plot 'bench/results/plots/load-steady-native.dat' using 1:2 with linespoints lw 2 title 'steady-native p50', 'bench/results/plots/load-steady-native.dat' using 1:3 with linespoints lw 2 title 'steady-native p99', 'bench/results/plots/load-steady-http.dat' using 1:2 with linespoints lw 2 title 'steady-http p50', 'bench/results/plots/load-steady-http.dat' using 1:3 with linespoints lw 2 title 'steady-http p99'
