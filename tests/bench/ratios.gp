# The benchmark's picture (called by report.py): for every fio job, each device's IOPS as a
# ratio to brd's in the same round — the bar is the median of the rounds, the whisker the
# lowest and highest round. Inputs: gnuplot -e "dat='...'; png='...'; title='...'; n=DEVICES"
set terminal pngcairo size 1100,520 font "DejaVu Sans,10"
set output png
set title title
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.75 border -1
set boxwidth 0.9
set ylabel "IOPS / brd's IOPS in the same round (log scale)"
set logscale y 2
set yrange [0.0625:*]
set ytics ("1/16" 0.0625, "1/8" 0.125, "1/4" 0.25, "1/2" 0.5, "1" 1, "2" 2, "4" 4, "8" 8)
set grid ytics
set xtics rotate by 30 right scale 0
set offsets 0.6, 0.6, 0, 0
set xrange [0:*]
set key top right
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb "#444444"
set label "brd" at graph 0.005, first 1.08 tc rgb "#444444"
plot for [i=1:n] dat using (column(3*i-1)):(column(3*i)):(column(3*i+1)):xtic(1) title columnheader(3*i-1)
