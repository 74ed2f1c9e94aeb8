#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# Writes two small MMDB files in the flat ip-location-db schema of the DB-IP
# Lite city database (country_code, state1, city, latitude, longitude), for
# the ipdb unit test: make_test_mmdb.pl OUT_V4 OUT_V6. Needs Debian's
# libmaxmind-db-writer-perl.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out4, $out6) = @ARGV;
die "usage: $0 OUT_V4 OUT_V6\n" unless $out4 && $out6;

my %types = (
    country_code => 'utf8_string', state1 => 'utf8_string', state2 => 'utf8_string',
    city => 'utf8_string', postcode => 'utf8_string', latitude => 'float',
    longitude => 'float', timezone => 'utf8_string',
);

sub tree {
    my ($version) = @_;
    return MaxMind::DB::Writer::Tree->new(
        ip_version => $version, record_size => 24, database_type => 'dbip-city-test',
        languages => ['en'], description => { en => 'Prahari test database' },
        map_key_type_callback => sub { $types{ $_[0] } },
    );
}

my $t4 = tree(4);
$t4->insert_network('49.36.128.0/20',
    { country_code => 'IN', state1 => 'Rajasthan', city => 'Jaipur', latitude => 26.9196, longitude => 75.7878 });
$t4->insert_network('223.188.0.0/16',
    { country_code => 'IN', state1 => 'Delhi', city => 'New Delhi', latitude => 28.6139, longitude => 77.209 });
$t4->insert_network('8.8.8.0/24',
    { country_code => 'US', state1 => 'California', city => 'Mountain View', latitude => 37.386, longitude => -122.0838 });
open my $f4, '>:raw', $out4 or die "$out4: $!";
$t4->write_tree($f4);
close $f4;

my $t6 = tree(6);
$t6->insert_network('2409:4000::/22',
    { country_code => 'IN', state1 => 'Maharashtra', city => 'Mumbai', latitude => 19.0728, longitude => 72.8826 });
open my $f6, '>:raw', $out6 or die "$out6: $!";
$t6->write_tree($f6);
close $f6;
