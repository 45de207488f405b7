#!/usr/bin/perl
# Aliases on stdin -> Supplements lines (formats.md): device aliases only, %XX encoding,
# C-locale sort, merge of single-position differences into [..] (never at '*' or inside %XX).
use strict; use warnings;
my $flavor = shift // 'amd64';
my %seen;
while (my $a = <STDIN>) {
  chomp $a;
  next unless $a =~ /^.+:.+$/s;
  $a =~ s/([^*:a-zA-Z0-9])/sprintf("%%%02X", ord($1))/ge;
  $seen{"kernel-$flavor:$a"} = 1;
}
my @l = sort keys %seen;
sub in_escape { my ($s, $p) = @_; return substr($s,$p,1) eq '%' || ($p >= 1 && substr($s,$p-1,1) eq '%') || ($p >= 2 && substr($s,$p-2,1) eq '%'); }
my $i = 0;
while ($i < @l) {
  my $first = $l[$i]; my $pos; my $members = ''; my $j = $i + 1;
  for (; $j < @l; $j++) {
    my $b = $l[$j];
    last if length($b) != length($first);
    my @d = grep { substr($first,$_,1) ne substr($b,$_,1) } 0 .. length($first) - 1;
    last if @d != 1;
    my $d = $d[0];
    last if substr($first,$d,1) eq '*' || substr($b,$d,1) eq '*' || in_escape($first,$d) || in_escape($b,$d);
    last if defined $pos && $d != $pos;
    if (!defined $pos) { $pos = $d; $members = substr($first,$d,1); }
    my $c = substr($b,$d,1);
    $members .= $c if index($members, $c) < 0;
  }
  if (defined $pos) { print "modalias(", substr($first,0,$pos), "[$members]", substr($first,$pos+1), ")\n"; }
  else { print "modalias($first)\n"; }
  $i = $j;
}
