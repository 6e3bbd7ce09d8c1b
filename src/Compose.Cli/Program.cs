Console.WriteLine("compose");
